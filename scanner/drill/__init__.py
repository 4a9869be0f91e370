"""`preflight drill`: the quarterly disaster-recovery drill readiness report.

- steps.py      the runbook's steps and the policies each depends on (data)
- schema.py     the config's drill:/history: keys (no imports: config.py may use it)
- settings.py   reading them, and the scan config beside them
- readiness.py  pure: readiness per step, score, drift, quarters
- recovery.py   pure: recovery points per table and bucket, and the worst case
- checklist.py  the commands filled in for the real resources, and the sign-off block
- document.py   drill.json (reports/schemas/drill.schema.json), input of every renderer
- run.py        the job: select, scan, compare, record, write
"""
