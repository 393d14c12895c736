"""Creates a CloudFormation stack on a moto server from a synthesized floe template, as `cdk deploy`
would with the README's parameters (none on the first deploy), after the workarounds for what moto
cannot create (each named; the real template is never changed). Prints one JSON object:
the stack status, its reason, the resources created by type, and the workarounds applied.

    python rehearse_deploy.py <endpoint> network                            # the account's VPC, as floe:network
    python rehearse_deploy.py <endpoint> <template.json> <parameters.json>

`network` creates what the README's example context names in the account (a VPC, two private
subnets in two zones, their route table, the database's security group) and prints that context.
"""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
import sys
import time
from typing import Any

import boto3

# moto resolves {"Ref": <AWS::Events::EventBus>} to its bus object, not the bus name CloudFormation
# returns, and put_rule then fails (`'EventBus' object has no attribute 'split'`), and an output of
# the Ref reads `<moto.events.models.EventBus object at …>`: the name instead, in rules and outputs.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-eventbus.html#aws-resource-events-eventbus-return-values
def bus_ref_as_name(template: dict[str, Any]) -> list[str]:
    buses = {lid: r["Properties"]["Name"] for lid, r in template["Resources"].items() if r["Type"] == "AWS::Events::EventBus"}
    changed = []
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        ref = props.get("EventBusName")
        if resource["Type"] == "AWS::Events::Rule" and isinstance(ref, dict) and ref.get("Ref") in buses:
            props["EventBusName"] = buses[ref["Ref"]]
            changed.append(logical_id)
    for output_id, output in template.get("Outputs", {}).items():
        ref = output.get("Value")
        if isinstance(ref, dict) and ref.get("Ref") in buses:
            output["Value"] = buses[ref["Ref"]]
            changed.append(output_id)
    return changed


# moto cannot create AWS::Events::Archive from a template: its EventPattern fails as an object
# (json.loads of a dict) and as text (validated as a dict). Left out of the rehearsal.
def without_archive(template: dict[str, Any]) -> list[str]:
    archives = [lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::Events::Archive"]
    for logical_id in archives:
        del template["Resources"][logical_id]
    return archives


def bootstrap_and_publish(session: Any, template: dict[str, Any]) -> None:
    """What `cdk bootstrap` and `cdk deploy` do before CreateStack: the bootstrap version parameter,
    the assets bucket, and the assets in it (small zips here: moto never runs them)."""
    session.client("ssm", endpoint_url=ENDPOINT).put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
    s3 = session.client("s3", endpoint_url=ENDPOINT)
    bucket = "cdk-hnb659fds-assets-123456789012-us-east-1"
    s3.create_bucket(Bucket=bucket)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("index.mjs", "export const handler = async () => {};\n")
    for key in sorted(set(re.findall(r"[0-9a-f]{64}\.(?:zip|py)", json.dumps(template)))):
        s3.put_object(Bucket=bucket, Key=key, Body=archive.getvalue())


WORKAROUNDS = {
    "events-bus-ref-as-name": bus_ref_as_name,
    "without-events-archive": without_archive,
}


def network(session: Any) -> dict[str, Any]:
    ec2 = session.client("ec2", endpoint_url=ENDPOINT)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    zones = ["us-east-1a", "us-east-1b"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"] for i, z in enumerate(zones)]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    database = ec2.create_security_group(GroupName="clr-database", Description="the RDS instance", VpcId=vpc)["GroupId"]
    return {"vpcId": vpc, "subnetIds": subnets, "availabilityZones": zones, "routeTableIds": [table],
            "sources": {"clr": {"securityGroupId": database, "port": 5432}}}


def main() -> None:
    global ENDPOINT
    ENDPOINT = sys.argv[1]
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    if sys.argv[2] == "network":
        print(json.dumps(network(session)))
        return
    template_file, parameters_file = sys.argv[2:4]
    cfn = session.client("cloudformation", endpoint_url=ENDPOINT)
    real = json.load(open(template_file))
    template = copy.deepcopy(real)
    applied = {name: fix(template) for name, fix in WORKAROUNDS.items()}
    bootstrap_and_publish(session, template)
    parameters = json.load(open(parameters_file))
    cfn.create_stack(
        StackName="Floe", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    for _ in range(60):
        stack = cfn.describe_stacks(StackName="Floe")["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            break
        time.sleep(0.5)
    resources = cfn.list_stack_resources(StackName="Floe")["StackResourceSummaries"]
    print(json.dumps({
        "status": stack["StackStatus"], "reason": stack.get("StackStatusReason"),
        "created": sorted({r["ResourceType"] for r in resources if r["ResourceStatus"] == "CREATE_COMPLETE"}),
        "failed": sorted({(r["ResourceType"], r.get("ResourceStatusReason", "")) for r in resources if r["ResourceStatus"] != "CREATE_COMPLETE"}),
        "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
        "workarounds": {name: ids for name, ids in applied.items() if ids},
    }, default=str))


if __name__ == "__main__":
    main()
