"""`preflight test`: cases beside a policy prove what it passes, fails and cannot tell.

find (case files beside the loaded policies, or the paths given) -> load (schema, then
policy ids, attributes and parameters, with file:line) -> run (the scan's evaluator on
one resource per case) -> render (text, json, junit).
"""

from .cases import Case, load_cases
from .find import cases_path, files_beside, find_case_files
from .report import Format, render
from .run import CaseResult, CaseRun, run_case, run_cases
from .schema import Expect, case_file_schema

__all__ = ["Case", "CaseResult", "CaseRun", "Expect", "Format", "case_file_schema",
           "cases_path", "files_beside", "find_case_files", "load_cases", "render",
           "run_case", "run_cases"]
