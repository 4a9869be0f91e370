"""The local AWS configuration: a mistake in it is invalid input (exit 2), not a failed read.

An unknown AWS_PROFILE, a config file that does not parse or a missing region are things
the user sets, and fixes by setting something; they say what to set. Whether AWS answered
(denied, unreachable, expired credentials) stays a "could not read" (exit 3).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .errors import PreflightError

if TYPE_CHECKING:
    import boto3


class AwsConfigurationError(PreflightError):
    """The credential chain's configuration is wrong (exit code 2)."""


# Set by --profile: the message about an unknown profile names the option, not AWS_PROFILE.
_PROFILE_OPTION = {"given": False}


def use_profile(name: str) -> None:
    """--profile NAME: the same as AWS_PROFILE=NAME, for this process and its workers (the
    collector's worker processes build their sessions from the environment)."""
    os.environ["AWS_PROFILE"] = name
    _PROFILE_OPTION["given"] = True


def checked_session() -> boto3.Session:
    """A boto3 session whose profile and config files were read now, before any AWS call.

    boto3 reads the profile lazily; reading the region forces it, so an unknown profile or
    a broken file surfaces here rather than inside a worker mid-scan.
    """
    import boto3
    import botocore.exceptions

    try:
        session = boto3.Session()
        _ = session.region_name
    except botocore.exceptions.BotoCoreError as exc:
        problem = configuration_problem(exc)
        if problem is None:
            raise
        raise problem from None
    return session


def configuration_problem(exc: BaseException) -> AwsConfigurationError | None:
    """The configuration mistake ``exc`` reports, with what to set; None if it is not one."""
    import botocore.exceptions as errors

    if isinstance(exc, errors.ProfileNotFound):
        return AwsConfigurationError(
            f"the AWS profile {exc.kwargs.get('profile')!r} does not exist "
            f"({_profile_source()}). Fix: name a profile of "
            f"{_config_files()} (--profile or AWS_PROFILE), or leave both unset for the "
            "default credential chain")
    if isinstance(exc, errors.ConfigParseError):
        return AwsConfigurationError(
            f"the AWS config file {exc.kwargs.get('path')!r} cannot be parsed. Fix: correct "
            "its INI syntax ([profile name] headers, key = value lines), or point "
            "AWS_CONFIG_FILE at another file")
    if isinstance(exc, errors.NoRegionError):
        return AwsConfigurationError(
            "no AWS region is configured. Fix: set AWS_REGION (or AWS_DEFAULT_REGION), add "
            "`region = ...` to the profile, or pass --regions")
    if isinstance(exc, (errors.InvalidConfigError, errors.PartialCredentialsError,
                        errors.InvalidRegionError)):
        reason = str(exc).rstrip(".")
        return AwsConfigurationError(f"the AWS configuration is invalid: {reason}. Fix: correct "
                                     "the setting it names (environment or config file)")
    return None


def _profile_source() -> str:
    if _PROFILE_OPTION["given"]:
        return "from --profile"
    return "from AWS_PROFILE" if os.environ.get("AWS_PROFILE") else "named in the configuration"


def _config_files() -> str:
    config = os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")
    credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    return f"{config} or {credentials}"
