"""What a moto server holds after `cdklocal bootstrap` and `cdklocal deploy`, as one JSON document on stdout.

Run by scripts/deploy-rehearsal/inspect.ts with the Python that has moto (boto3 comes with it):
    python3 inspect-moto.py --endpoint http://localhost:PORT --stack ServerlessSaga \
        --bucket cdk-hnb659fds-assets-123456789012-us-east-1

Read-only calls, with one exception done last on purpose: moto creates a stack's resources lazily, so
DescribeStackResources on a stack whose creation stopped retries the creation and fails with the same error.
That error is the one `cdk deploy` could not show (it arrives as JSON where the SDK expects XML), so it is kept.
"""

import argparse
import hashlib
import json
import re
import sys
import warnings

import boto3
from botocore.config import Config

warnings.simplefilter("ignore")


def error_text(err: Exception) -> str:
    """The service's own message: moto answers some CloudFormation calls with another service's JSON error."""
    text = str(err)
    raw = re.search(r"b'(\{.*\})'\s*$", text, re.S)
    if raw:
        try:
            body = json.loads(raw.group(1).replace("\\'", "'"))
            return f"{body.get('__type', 'Error')}: {body.get('message', body)}"
        except ValueError:
            pass
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--toolkit", default="CDKToolkit")
    parser.add_argument("--stack", action="append", default=[])
    parser.add_argument("--bucket", action="append", default=[])
    args = parser.parse_args()

    config = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})

    def client(name: str):
        return boto3.client(
            name,
            endpoint_url=args.endpoint,
            region_name=args.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=config,
        )

    cfn = client("cloudformation")
    out: dict = {"region": args.region}
    out["account"] = client("sts").get_caller_identity()["Account"]

    # The bootstrap stack: its status, its bucket, the version parameter `cdk deploy` checks.
    toolkit: dict = {"name": args.toolkit}
    toolkit_ids: set = set()
    try:
        stack = cfn.describe_stacks(StackName=args.toolkit)["Stacks"][0]
        toolkit["status"] = stack["StackStatus"]
        # moto 5.2.1 leaves the bootstrap stack's outputs out; the asset manifest names the bucket anyway.
        toolkit["outputs"] = sorted(o["OutputKey"] for o in stack.get("Outputs", []))
        resources = cfn.describe_stack_resources(StackName=args.toolkit)["StackResources"]
        toolkit_ids = {r.get("PhysicalResourceId") for r in resources}
        toolkit["resources"] = len(resources)
    except Exception as err:  # noqa: BLE001 - reported, not raised
        toolkit["error"] = error_text(err)
    try:
        param = client("ssm").get_parameter(Name="/cdk-bootstrap/hnb659fds/version")
        toolkit["bootstrapVersion"] = param["Parameter"]["Value"]
    except Exception as err:  # noqa: BLE001
        toolkit["bootstrapVersionError"] = error_text(err)
    out["toolkit"] = toolkit

    # Every object of the asset buckets, with its digest (the template is compared byte for byte).
    s3 = client("s3")
    objects = []
    bucket_errors = {}
    for bucket in args.bucket:
        try:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                    objects.append(
                        {
                            "bucket": bucket,
                            "key": item["Key"],
                            "size": item["Size"],
                            "sha256": hashlib.sha256(body).hexdigest(),
                            "isZip": body[:4] == b"PK\x03\x04",
                        }
                    )
        except Exception as err:  # noqa: BLE001
            bucket_errors[bucket] = error_text(err)
    out["bucketObjects"] = objects
    out["bucketErrors"] = bucket_errors

    # What moto's CloudFormation can create at all: any other type in a template is skipped with a warning.
    try:
        from moto.cloudformation.parsing import get_model_map

        out["cfnModelTypes"] = sorted(get_model_map().keys())
    except Exception as err:  # noqa: BLE001
        out["cfnModelTypes"] = None
        out["cfnModelTypesError"] = error_text(err)

    # What exists in moto, by CloudFormation type, leaving out the bootstrap stack's own resources.
    inventory: dict = {}
    inventory_errors: dict = {}

    def count(resource_type: str, list_ids) -> None:
        try:
            inventory[resource_type] = len([i for i in list_ids() if i not in toolkit_ids])
        except Exception as err:  # noqa: BLE001
            inventory_errors[resource_type] = error_text(err)

    iam, lam, logs = client("iam"), client("lambda"), client("logs")
    events, apigw, sfn = client("events"), client("apigateway"), client("stepfunctions")
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"] not in toolkit_ids]
    functions = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    buses = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    apis = [a["id"] for a in apigw.get_rest_apis()["items"]]

    def lambda_permissions():
        ids = []
        for name in functions:
            try:
                ids += [s["Sid"] for s in json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]]
            except lam.exceptions.ResourceNotFoundException:
                pass
        return ids

    def api_items(kind: str):
        ids = []
        for api in apis:
            if kind == "resource":
                ids += [r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] != "/"]
            elif kind == "method":
                for r in apigw.get_resources(restApiId=api)["items"]:
                    ids += [f"{r['id']} {m}" for m in r.get("resourceMethods", {})]
            elif kind == "deployment":
                ids += [d["id"] for d in apigw.get_deployments(restApiId=api)["items"]]
            else:
                ids += [s["stageName"] for s in apigw.get_stages(restApiId=api)["item"]]
        return ids

    count("AWS::IAM::Role", lambda: roles)
    count("AWS::IAM::Policy", lambda: [f"{r} {p}" for r in roles for p in iam.list_role_policies(RoleName=r)["PolicyNames"]])
    count("AWS::Lambda::Function", lambda: functions)
    count("AWS::Lambda::Permission", lambda_permissions)
    count("AWS::DynamoDB::Table", lambda: client("dynamodb").list_tables()["TableNames"])
    count("AWS::Logs::LogGroup", lambda: [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]])
    count("AWS::Logs::MetricFilter", lambda: [f["filterName"] for f in logs.describe_metric_filters()["metricFilters"]])
    count("AWS::SQS::Queue", lambda: client("sqs").list_queues().get("QueueUrls", []))
    count("AWS::SNS::Topic", lambda: [t["TopicArn"] for t in client("sns").list_topics()["Topics"]])
    count("AWS::StepFunctions::StateMachine", lambda: [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]])
    count("AWS::Events::EventBus", lambda: [b for b in buses if b != "default"])
    count("AWS::Events::Rule", lambda: [r["Arn"] for b in buses for r in events.list_rules(EventBusName=b)["Rules"]])
    count("AWS::Events::Archive", lambda: [a["ArchiveName"] for a in events.list_archives()["Archives"]])
    count("AWS::CloudWatch::Alarm", lambda: [a["AlarmName"] for a in client("cloudwatch").describe_alarms()["MetricAlarms"]])
    count("AWS::Pipes::Pipe", lambda: [p["Name"] for p in client("pipes").list_pipes()["Pipes"]])
    count("AWS::ApiGateway::RestApi", lambda: apis)
    count("AWS::ApiGateway::Resource", lambda: api_items("resource"))
    count("AWS::ApiGateway::Method", lambda: api_items("method"))
    count("AWS::ApiGateway::Deployment", lambda: api_items("deployment"))
    count("AWS::ApiGateway::Stage", lambda: api_items("stage"))
    out["inventory"] = inventory
    out["inventoryErrors"] = inventory_errors

    # The app stacks, last: see the module's docstring.
    stacks = []
    for name in args.stack:
        entry: dict = {"name": name}
        try:
            stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
            entry["status"] = stack["StackStatus"]
            entry["reason"] = stack.get("StackStatusReason")
        except Exception as err:  # noqa: BLE001
            entry["error"] = error_text(err)
            stacks.append(entry)
            continue
        try:
            entry["resources"] = [
                {
                    "logicalId": r.get("LogicalResourceId"),
                    "type": r.get("ResourceType"),
                    "status": r.get("ResourceStatus"),
                }
                for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
            ]
        except Exception as err:  # noqa: BLE001
            entry["resourcesError"] = error_text(err)
        stacks.append(entry)
    out["stacks"] = stacks

    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
