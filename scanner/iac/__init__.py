"""Pre-deploy scanning: CloudFormation templates, CDK output and Terraform plans."""

from .run import run_iac

__all__ = ["run_iac"]
