"""The CLI's commands, one module per family. A new command: write it, list it here."""

from .catalogue import explain, list_policies, resources, runbook, schema, validate
from .ci import merge
from .drill import drill, history
from .export import export, notify
from .iac import iac
from .iam import iam_policy
from .init import init
from .runbooks import runbooks
from .scanning import demo, report, scan

COMMANDS = (init, scan, report, demo, validate, list_policies, explain, runbook, resources, schema, merge,
            drill, history, iam_policy, iac, export, notify, runbooks)
