"""DynamoDB tables, with their backups and Application Auto Scaling targets."""

from __future__ import annotations

from typing import Any

import boto3

from .tagging import tag_list


def create_table(session: boto3.Session, region: str, name: str, *, on_demand: bool = False,
                 pitr: bool = False, autoscaling: tuple[str, ...] = (),
                 tags: dict[str, str] | None = None, backup: bool = False,
                 deletion_protection: bool = False) -> str:
    """A table; ``autoscaling`` lists directions ('read', 'write') to register."""
    ddb = session.client("dynamodb", region_name=region)
    params: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    }
    if on_demand:
        params["BillingMode"] = "PAY_PER_REQUEST"
    else:
        params["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    if tags:
        params["Tags"] = tag_list(tags)
    if deletion_protection:
        params["DeletionProtectionEnabled"] = True
    arn = ddb.create_table(**params)["TableDescription"]["TableArn"]
    if pitr:
        ddb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    if backup:
        ddb.create_backup(TableName=name, BackupName=f"{name}-backup")
    scaling = session.client("application-autoscaling", region_name=region)
    for direction in autoscaling:
        dimension = f"dynamodb:table:{direction.capitalize()}CapacityUnits"
        scaling.register_scalable_target(
            ServiceNamespace="dynamodb", ResourceId=f"table/{name}",
            ScalableDimension=dimension, MinCapacity=5, MaxCapacity=100,
        )
        scaling.put_scaling_policy(
            PolicyName=f"{name}-{direction}", ServiceNamespace="dynamodb",
            ResourceId=f"table/{name}", ScalableDimension=dimension,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": f"DynamoDB{direction.capitalize()}CapacityUtilization"
                },
            },
        )
    return str(arn)
