"""The CLI's commands, one module per family. A new command: write it, list it here."""

from .catalogue import explain, list_policies, resources, runbook, schema, validate
from .scanning import demo, report, scan

COMMANDS = (scan, report, demo, validate, list_policies, explain, runbook, resources, schema)
