"""What the AWS CLI changes by hand on top of botocore's models.

Each entry mirrors a customization in the AWS CLI (``awscli/customizations/``: argrename.py,
commands registered per service, addcount.py, putmetricdata.py, ...). They were found by
comparing the CLI's own argument tables with the model-derived ones, and
benchmarks/runbook_lint_corpus.py keeps them honest: an entry missing here shows there as a
false positive on the CLI's documentation examples. Tables name things the way a reader
would grep the CLI's docs: "service operation".
"""

from __future__ import annotations

from collections.abc import Mapping

# botocore's name -> the CLI's, where they differ.
CLI_SERVICE_NAMES: Mapping[str, str] = {
    "s3": "s3api",  # `aws s3` is the high-level transfer commands
    "config": "configservice",
    "codedeploy": "deploy",
}
BOTOCORE_SERVICE_NAMES: Mapping[str, str] = {cli: api for api, cli in CLI_SERVICE_NAMES.items()}
SERVICE_ALIASES: Mapping[str, str] = {"runtime.sagemaker": "sagemaker-runtime"}

# Top-level commands that are not API services: recognised, their arguments not checked.
HIGH_LEVEL_SERVICES = frozenset({"s3", "configure", "history", "help", "login", "logout", "ddb",
                                 "cli-dev"})

# Commands the CLI adds to (or replaces in) a service: recognised, arguments not checked.
# AWS CLI v1 and v2 both, since runbooks are written for either.
_HIGH_LEVEL = """
cloudformation deploy package
cloudfront sign
cloudtrail create-subscription update-subscription validate-logs
cloudwatch get-o-tel-enrichment start-o-tel-enrichment stop-o-tel-enrichment
codeartifact login
codecommit credential-helper
configservice get-status subscribe
datapipeline create-default-roles list-runs
deploy deregister install push register uninstall
dlm create-default-role
ec2-instance-connect ssh open-tunnel
ecr get-login get-login-password
ecr-public get-login-password
ecs deploy execute-command
eks get-token update-kubeconfig
emr add-instance-groups add-steps add-tags create-cluster create-default-roles create-hbase-backup
emr describe-cluster disable-hbase-backups get install-applications modify-cluster-attributes
emr put restore-from-hbase-backup schedule-hbase-backup socks ssh terminate-clusters
emr-containers update-role-trust-policy
gamelift get-game-session-log upload-build
logs start-live-tail tail
mturk list-hi-ts-for-qualification-type
rds add-option-to-option-group generate-db-auth-token remove-option-from-option-group
servicecatalog generate
signin create-o-auth2-token
socialmessaging delete-whatsapp-media-message
ssm start-session
sso login logout
"""


def _commands(table: str) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for line in table.strip().splitlines():
        service, *names = line.split()
        found.setdefault(service, set()).update(names)
    return {service: frozenset(names) for service, names in found.items()}


HIGH_LEVEL_COMMANDS: Mapping[str, frozenset[str]] = _commands(_HIGH_LEVEL)

# Members whose option would clash with a global one (--version, --query, --output, --region,
# --endpoint) or whose kebab-case reads badly: (model's option, CLI's option) -> where.
_RENAMES: Mapping[tuple[str, str], str] = {
    ("version", "api-version"): "apigateway create-rest-api; apigatewayv2 create-api update-api",
    ("version", "schema-version"): "clouddirectory publish-schema",
    ("query", "search-query"): "cloudsearchdomain search",
    ("query", "suggest-query"): "cloudsearchdomain suggest",
    ("version", "action-version"):
        "codepipeline create-custom-action-type delete-custom-action-type get-action-type",
    ("version", "pipeline-version"):
        "codepipeline get-pipeline; datapipeline get-pipeline-definition",
    ("version", "landing-zone-version"): "controltower create-landing-zone update-landing-zone",
    ("query", "objects-query"): "datapipeline query-objects",
    ("no-no-reboot", "reboot"): "ec2 create-image",
    ("no-egress", "ingress"):
        "ec2 create-network-acl-entry delete-network-acl-entry replace-network-acl-entry",
    ("no-disable-api-termination", "enable-api-termination"): "ec2 run-instances",
    ("no-enable-execute-command", "disable-execute-command"):
        "ecs create-daemon create-service run-task start-task update-daemon update-service",
    ("version", "kubernetes-version"):
        "eks create-cluster create-nodegroup update-cluster-version update-nodegroup-version",
    ("version", "build-version"): "gamelift create-build update-build",
    ("version", "script-version"): "gamelift create-script update-script",
    ("region", "resource-region"): "glue get-unfiltered-partition-metadata "
                                    "get-unfiltered-partitions-metadata get-unfiltered-table-metadata",
    ("lo-ra-wan", "lorawan"): "iotwireless *",
    ("output", "application-output"):
        "kinesisanalytics add-application-output; kinesisanalyticsv2 add-application-output",
    ("version", "bot-version"): "lex-models delete-bot-version",
    ("version", "intent-version"): "lex-models delete-intent-version get-intent",
    ("version", "slot-type-version"): "lex-models delete-slot-type-version get-slot-type",
    ("version", "resource-version"): "lex-models get-export",
    ("version", "grant-version"): "license-manager delete-grant get-grant",
    ("version", "license-version"): "license-manager get-license",
    ("query", "types-query"): "mturk list-qualification-types",
    ("version", "template-version"): "pinpoint *",
    ("version", "campaign-version"): "pinpoint get-campaign-version",
    ("version", "segment-version"): "pinpoint get-segment-version",
    ("output", "stream-processor-output"): "rekognition create-stream-processor",
    ("version", "traffic-policy-version"):
        "route53 delete-traffic-policy get-traffic-policy update-traffic-policy-comment",
    ("end", "end-time"): "route53domains view-billing",
    ("version", "version-number"): "sagemaker *",
    ("endpoint", "notification-endpoint"):
        "sns subscribe; workdocs create-notification-subscription",
    ("output", "task-output"): "stepfunctions send-task-success",
    ("version", "activity-version"): "swf register-activity-type",
    ("version", "workflow-version"): "swf register-workflow-type",
    ("query", "user-query"): "workdocs describe-users",
    ("source", "from"): "ses send-email",
}


def renamed(service: str, operation: str) -> dict[str, str]:
    """The model's option -> the CLI's, for one operation."""
    named: dict[str, str] = {}
    everywhere: dict[str, str] = {}  # "service *": an operation named explicitly wins
    for (old, new), where in _RENAMES.items():
        for clause in where.split(";"):
            name, *operations = clause.split()
            if name == service and operation in operations:
                named.setdefault(old, new)
            elif name == service and "*" in operations:
                everywhere.setdefault(old, new)
    return {**everywhere, **named}


# Spellings an older kebab-case produced, which the CLI still accepts: alias -> option.
OPTION_ALIASES: Mapping[str, Mapping[str, str]] = {
    "cognito-identity": {"open-id-connect-provider-ar-ns": "open-id-connect-provider-arns"},
    "deploy": {"ec-2-tag-set": "ec2-tag-set", "s-3-bucket": "s3-bucket",
               "s-3-key-prefix": "s3-key-prefix"},
    "elasticache": {"preferred-cache-cluster-a-zs": "preferred-cache-cluster-azs"},
    "iam": {"authentication-code-1": "authentication-code1",
            "authentication-code-2": "authentication-code2"},
    "importexport": {"street-1": "street1", "street-2": "street2", "street-3": "street3"},
    "lambda": {"code-sha-256": "code-sha256"},
    "lightsail": {"public-key-base-64": "public-key-base64"},
    "mgn": {"source-server-i-ds": "source-server-ids",
            "replication-servers-security-groups-i-ds": "replication-servers-security-groups-ids",
            "replication-configuration-template-i-ds": "replication-configuration-template-ids"},
    "storagegateway": {"volume-ar-ns": "volume-arns", "tape-ar-ns": "tape-arns",
                       "vtl-device-ar-ns": "vtl-device-arns"},
}

# Options the CLI adds to an API operation (True: takes a value), and the members those make
# optional.
_FLAGS = frozenset({"no-associate-public-ip-address", "associate-public-ip-address", "active",
                    "failed", "terminated"})
_ADDED: Mapping[tuple[str, str], str] = {
    ("cloudfront", "create-distribution"): "default-root-object origin-domain-name",
    ("cloudfront", "create-invalidation"): "paths",
    ("cloudfront", "update-distribution"): "default-root-object",
    ("cloudsearch", "define-expression"): "name",
    ("cloudsearch", "define-index-field"): "analysis-scheme default-value facet-enabled "
        "highlight-enabled name return-enabled search-enabled sort-enabled source-field type",
    ("cloudwatch", "put-metric-data"):
        "dimensions metric-name statistic-values storage-resolution timestamp unit value",
    ("configservice", "put-configuration-recorder"): "recording-group",
    ("datapipeline", "activate-pipeline"): "parameter-values-uri",
    ("datapipeline", "put-pipeline-definition"): "parameter-values-uri pipeline-definition",
    ("deploy", "create-deployment"): "github-location s3-location",
    ("deploy", "get-application-revision"): "github-location s3-location",
    ("deploy", "register-application-revision"): "github-location s3-location",
    ("ec2", "authorize-security-group-egress"): "cidr group-owner port protocol source-group",
    ("ec2", "authorize-security-group-ingress"): "cidr group-owner port protocol source-group",
    ("ec2", "revoke-security-group-egress"): "cidr group-owner port protocol source-group",
    ("ec2", "revoke-security-group-ingress"): "cidr group-owner port protocol source-group",
    ("ec2", "bundle-instance"): "bucket owner-akid owner-sak policy prefix",
    ("ec2", "get-password-data"): "priv-launch-key",
    ("ec2", "run-instances"): "associate-public-ip-address count no-associate-public-ip-address "
        "secondary-private-ip-address-count secondary-private-ip-addresses",
    ("emr", "list-clusters"): "active failed terminated",
    ("iam", "create-virtual-mfa-device"): "bootstrap-method outfile",
    ("iot", "create-certificate-from-csr"): "certificate-pem-outfile",
    ("iot", "create-keys-and-certificate"):
        "certificate-pem-outfile private-key-outfile public-key-outfile",
    ("lambda", "create-function"): "zip-file",
    ("lambda", "publish-layer-version"): "zip-file",
    ("quicksight", "start-asset-bundle-import-job"): "asset-bundle-import-source-bytes",
    ("rekognition", "compare-faces"): "source-image-bytes target-image-bytes",
    ("route53domains", "view-billing"): "start-time",
    ("ses", "send-email"): "bcc cc html subject text to",
    ("translate", "import-terminology"): "data-file",
    ("translate", "translate-document"): "document-content",
}
_REKOGNITION_IMAGE = ("detect-custom-labels detect-faces detect-labels detect-moderation-labels "
                      "detect-protective-equipment detect-text index-faces recognize-celebrities "
                      "search-faces-by-image search-users-by-image")
EXTRA_OPTIONS: Mapping[tuple[str, str], Mapping[str, bool]] = {
    **{key: {name: name not in _FLAGS for name in names.split()} for key, names in _ADDED.items()},
    **{("rekognition", op): {"image-bytes": True} for op in _REKOGNITION_IMAGE.split()},
}
NOT_REQUIRED: Mapping[tuple[str, str], frozenset[str]] = {
    ("cloudfront", "create-distribution"): frozenset({"distribution-config"}),
    ("cloudfront", "create-invalidation"): frozenset({"invalidation-batch"}),
    ("cloudfront", "update-distribution"): frozenset({"distribution-config"}),
    ("cloudsearch", "define-index-field"): frozenset({"index-field"}),
    ("datapipeline", "put-pipeline-definition"): frozenset({"pipeline-objects"}),
    ("deploy", "get-application-revision"): frozenset({"revision"}),
    ("deploy", "register-application-revision"): frozenset({"revision"}),
    ("ec2", "bundle-instance"): frozenset({"storage"}),
    ("ec2", "run-instances"): frozenset({"max-count", "min-count"}),  # --count sets both
    ("lambda", "create-function"): frozenset({"code"}),
    ("lambda", "publish-layer-version"): frozenset({"content"}),
    ("quicksight", "start-asset-bundle-import-job"): frozenset({"asset-bundle-import-source"}),
    ("rekognition", "compare-faces"): frozenset({"source-image", "target-image"}),
    ("ses", "send-email"): frozenset({"destination", "message"}),
    ("translate", "import-terminology"): frozenset({"terminology-data"}),
    **{("rekognition", op): frozenset({"image"}) for op in _REKOGNITION_IMAGE.split()},
}
