"""The policy language: model, operators, generated schema, loader, templates."""

from .loader import load_policies, load_policy_file
from .model import Parameter, Policy, Scope
from .pack import builtin_policy_dir
from .schema import policy_schema

__all__ = ["Parameter", "Policy", "Scope", "builtin_policy_dir", "load_policies",
           "load_policy_file", "policy_schema"]
