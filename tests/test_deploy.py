"""The deploy/ examples validate offline: Kubernetes against its API schemas, the AWS Batch
template with cfn-lint; both really split the scan with --shard auto/N."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from cfnlint.api import lint_file

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "kubernetes" / "preflight-indexed-job.yaml"
BATCH = ROOT / "deploy" / "aws-batch" / "preflight-array-job.yml"


@pytest.mark.parametrize("version", ["1.30", "1.33"])
def test_the_kubernetes_indexed_job_validates_strictly(version):
    documents = list(yaml.safe_load_all(K8S.read_text()))
    assert [d["kind"] for d in documents] == ["ConfigMap", "Job"]
    for document in documents:  # strict: an unknown or misspelt field fails
        kubernetes_validate.validate(document, version, strict=True)
    job = documents[1]["spec"]
    assert job["completionMode"] == "Indexed" and job["completions"] == job["parallelism"]
    script = job["template"]["spec"]["containers"][0]["args"][0]
    assert f"--shard auto/{job['completions']}" in script and "JOB_COMPLETION_INDEX" in script


def test_a_misspelt_kubernetes_field_is_caught():
    job = list(yaml.safe_load_all(K8S.read_text()))[1]
    job["spec"]["completionsMode"] = "Indexed"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, "1.33", strict=True)


def test_the_aws_batch_template_passes_cfn_lint():
    assert [str(m) for m in lint_file(BATCH)] == []
    text = BATCH.read_text()
    assert "--shard auto/$SHARDS" in text and "AWS_BATCH_JOB_ARRAY_INDEX" in text
