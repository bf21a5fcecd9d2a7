"""The properties of the generated stack template that matter for security and for working at all.

The template is the real output of `chalice package --merge-template infra/template.yaml` for the
prod stage (conftest.py), so these tests also catch a drift between Chalice's resource names and
the merge template, or between .chalice/config.json and what the stack needs.
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.config import build_settings
from chalicelib.deadlines import LAMBDA_MARGIN_SECONDS
from chalicelib.images import LOCK_MARGIN_MS
from infra.package import PROJECT_DIR
from tests.infra.cfn_query import (
    as_list,
    egress_rules,
    ingress_rules,
    only_ref,
    props,
    referenced,
    resources,
)

#: API Gateway gives up on a Lambda integration after 29 seconds.
API_GATEWAY_LIMIT_SECONDS = 29
ENI_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}
SALT_ARN = (
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${SaltParameterName}"
)
BOTO3_CALL = re.compile(r"client\(\s*\"([a-z0-9-]+)\"\s*\)\s*\.\s*([a-z_]+)\(")
#: A helper that returns `boto3.client("<service>", ...)`, called as `helper().method(...)`.
CLIENT_FACTORY = re.compile(
    r"def (\w+)\([^)]*\)[^\n]*:\n(?:(?!\ndef ).)*?boto3\.client\(\s*\"([a-z0-9-]+)\"", re.S
)
FACTORY_CALL = re.compile(r"\b(\w+)\(\)\s*\.\s*([a-z_]+)\(")


def function(template: dict[str, Any]) -> dict[str, Any]:
    return props(template, "APIHandler")


def function_environment(template: dict[str, Any]) -> dict[str, Any]:
    return function(template)["Environment"]["Variables"]


def function_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    role = only_ref(function(template)["Role"])
    policies = props(template, role)["Policies"]
    assert props(template, role).get("ManagedPolicyArns", []) == []
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def cache(template: dict[str, Any]) -> dict[str, Any]:
    (group,) = resources(template, "AWS::ElastiCache::ReplicationGroup").values()
    return group["Properties"]


def security_group(template: dict[str, Any], value: Any) -> str:
    name = only_ref(value)
    assert template["Resources"][name]["Type"] == "AWS::EC2::SecurityGroup"
    return name


# ------------------------------------------------------------------ cache


def test_cache_has_tls_in_transit_encryption_at_rest_and_an_auth_token(template):
    group = cache(template)
    assert group["Engine"] in ("valkey", "redis")
    assert group["TransitEncryptionEnabled"] is True
    assert group["TransitEncryptionMode"] == "required"
    assert group["AtRestEncryptionEnabled"] is True
    token = group["AuthToken"]["Fn::Sub"]
    assert re.fullmatch(r"\{\{resolve:secretsmanager:\$\{(\w+)\}:SecretString\}\}", token)
    secret = only_ref(group["AuthToken"])
    assert template["Resources"][secret]["Type"] == "AWS::SecretsManager::Secret"
    generated = props(template, secret)["GenerateSecretString"]
    # ElastiCache accepts 16-128 printable characters without @, " or / as an AUTH token.
    assert 16 <= generated["PasswordLength"] <= 128
    assert generated["ExcludePunctuation"] is True


def test_cache_evicts_least_recently_used_keys(template):
    parameters = props(template, only_ref(cache(template)["CacheParameterGroupName"]))
    assert parameters["Properties"]["maxmemory-policy"] == "allkeys-lru"
    assert parameters["CacheParameterGroupFamily"].startswith(cache(template)["Engine"])


def test_cache_is_reachable_only_from_the_function(template):
    function_group = security_group(template, function(template)["VpcConfig"]["SecurityGroupIds"])
    (cache_group,) = (security_group(template, g) for g in cache(template)["SecurityGroupIds"])
    rules = ingress_rules(template, cache_group)
    assert rules, "the function must be let in"
    for rule in rules:
        assert only_ref(rule["SourceSecurityGroupId"]) == function_group
        assert (rule["FromPort"], rule["ToPort"]) == (cache(template)["Port"],) * 2


# ------------------------------------------------------------------ network


def test_no_security_group_admits_traffic_from_an_address_range(template):
    groups = resources(template, "AWS::EC2::SecurityGroup")
    assert len(groups) >= 4
    for name in groups:
        for rule in ingress_rules(template, name):
            assert not {"CidrIp", "CidrIpv6", "SourcePrefixListId"} & set(rule), (name, rule)
            assert "SourceSecurityGroupId" in rule, (name, rule)


def test_each_group_replaces_the_allow_all_egress_default(template):
    for name in resources(template, "AWS::EC2::SecurityGroup"):
        inline = props(template, name).get("SecurityGroupEgress")
        assert inline, f"{name} keeps the default allow-all egress"
        for rule in egress_rules(template, name):
            assert rule["IpProtocol"] != "-1" or rule.get("CidrIp") == "127.0.0.1/32", (name, rule)


def private_subnets(template: dict[str, Any]) -> set[str]:
    """Subnets that hand out no public address and route to the Internet only through NAT."""
    nat_tables = {
        only_ref(route["Properties"]["RouteTableId"])
        for route in resources(template, "AWS::EC2::Route").values()
        if "NatGatewayId" in route["Properties"]
    }
    igw_tables = {
        only_ref(route["Properties"]["RouteTableId"])
        for route in resources(template, "AWS::EC2::Route").values()
        if "GatewayId" in route["Properties"]
    }
    private = set()
    for association in resources(template, "AWS::EC2::SubnetRouteTableAssociation").values():
        table = only_ref(association["Properties"]["RouteTableId"])
        subnet = only_ref(association["Properties"]["SubnetId"])
        no_public_ip = props(template, subnet).get("MapPublicIpOnLaunch") is False
        if table in nat_tables and table not in igw_tables and no_public_ip:
            private.add(subnet)
    return private


def test_private_subnets_span_two_availability_zones(template):
    private = private_subnets(template)
    zones = {str(props(template, subnet)["AvailabilityZone"]) for subnet in private}
    assert len(private) >= 2
    assert len(zones) == len(private)


def test_the_function_runs_in_the_vpc_in_private_subnets(template):
    vpc = function(template)["VpcConfig"]
    subnets = {only_ref(subnet) for subnet in vpc["SubnetIds"]}
    assert subnets == private_subnets(template)
    group = security_group(template, vpc["SecurityGroupIds"])
    assert ingress_rules(template, group) == []


def test_cache_and_dnmonster_live_only_in_private_subnets(template):
    private = private_subnets(template)
    subnet_group = only_ref(cache(template)["CacheSubnetGroupName"])
    assert {only_ref(s) for s in props(template, subnet_group)["SubnetIds"]} <= private
    (balancer,) = resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert balancer["Properties"]["Scheme"] == "internal"
    assert {only_ref(s) for s in balancer["Properties"]["Subnets"]} <= private
    (service,) = resources(template, "AWS::ECS::Service").values()
    network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    assert {only_ref(s) for s in network["Subnets"]} <= private


# ------------------------------------------------------------------ dnmonster


def test_dnmonster_is_reachable_only_through_its_balancer_from_the_function(template):
    function_group = security_group(template, function(template)["VpcConfig"]["SecurityGroupIds"])
    (balancer,) = resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    (balancer_group,) = (
        security_group(template, g) for g in balancer["Properties"]["SecurityGroups"]
    )
    (service,) = resources(template, "AWS::ECS::Service").values()
    network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    (task_group,) = (security_group(template, g) for g in network["SecurityGroups"])
    balancer_rules = ingress_rules(template, balancer_group)
    task_rules = ingress_rules(template, task_group)
    assert balancer_rules
    assert task_rules
    assert {only_ref(rule["SourceSecurityGroupId"]) for rule in balancer_rules} == {function_group}
    assert {only_ref(rule["SourceSecurityGroupId"]) for rule in task_rules} == {balancer_group}


def test_dnmonster_health_check_is_slash_health_on_the_container_port(template):
    (service,) = resources(template, "AWS::ECS::Service").values()
    (attachment,) = service["Properties"]["LoadBalancers"]
    target_group = props(template, only_ref(attachment["TargetGroupArn"]))
    assert target_group["HealthCheckPath"] == "/health"
    assert target_group["HealthCheckEnabled"] is True
    assert target_group["Matcher"]["HttpCode"] == "200"
    assert target_group["TargetType"] == "ip"
    assert target_group["Port"] == attachment["ContainerPort"] == 8080
    task = props(template, only_ref(service["Properties"]["TaskDefinition"]))
    (container,) = task["ContainerDefinitions"]
    assert container["Name"] == attachment["ContainerName"]
    assert [m["ContainerPort"] for m in container["PortMappings"]] == [8080]
    assert service["Properties"]["LaunchType"] == "FARGATE"


def test_dnmonster_image_comes_from_our_ecr_repository_pinned_by_digest(template):
    (task,) = resources(template, "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    assert container["Image"] == {"Ref": "DnmonsterImage"}
    pattern = template["Parameters"]["DnmonsterImage"]["AllowedPattern"]
    pinned = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x/dnmonster@sha256:" + "a" * 64
    assert re.fullmatch(pattern, pinned)
    assert not re.fullmatch(pattern, "docker.io/library/dnmonster:latest")
    execution_role = props(template, only_ref(task["Properties"]["ExecutionRoleArn"]))
    statements = execution_role["Policies"][0]["PolicyDocument"]["Statement"]
    pulls = [s for s in statements if "ecr:BatchGetImage" in as_list(s["Action"])]
    assert referenced(pulls[0]["Resource"]) >= {"DnmonsterRepositoryName"}


# ------------------------------------------------------------------ the function


def test_function_policy_allows_only_what_the_function_does(template):
    statements = function_statements(template)
    actions: dict[str, Any] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            assert "*" not in action, action
            actions[action] = statement["Resource"]
    assert set(actions) == ENI_ACTIONS | {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "ssm:GetParameter",
        "secretsmanager:GetSecretValue",
    }
    assert actions["ssm:GetParameter"] == {"Fn::Sub": SALT_ARN}
    secret = only_ref(actions["secretsmanager:GetSecretValue"])
    assert secret == only_ref(cache(template)["AuthToken"])
    log_group = only_ref(actions["logs:PutLogEvents"])
    assert template["Resources"][log_group]["Type"] == "AWS::Logs::LogGroup"
    wildcard = {action for action, resource in actions.items() if resource == "*"}
    assert wildcard == ENI_ACTIONS


def test_function_logs_go_to_the_log_group_the_policy_names(template):
    statements = function_statements(template)
    (name,) = {
        only_ref(s["Resource"]) for s in statements if "logs:PutLogEvents" in as_list(s["Action"])
    }
    log_group_name = props(template, name)["LogGroupName"]["Fn::Sub"]
    assert log_group_name == "/aws/lambda/" + function(template)["FunctionName"]["Fn::Sub"]


def test_every_aws_call_in_the_function_code_is_allowed_by_the_policy(template):
    code = "\n".join(path.read_text() for path in (PROJECT_DIR / "chalicelib").rglob("*.py"))
    calls = {
        f"{service}:{''.join(part.title() for part in method.split('_'))}"
        for service, method in BOTO3_CALL.findall(code)
    }
    factories = dict(CLIENT_FACTORY.findall(code))
    calls |= {
        f"{factories[helper]}:{''.join(part.title() for part in method.split('_'))}"
        for helper, method in FACTORY_CALL.findall(code)
        if helper in factories
    }
    assert calls, "found no boto3 calls in chalicelib: has the way it calls AWS changed?"
    allowed = {a for s in function_statements(template) for a in as_list(s["Action"])}
    assert calls <= allowed


def test_function_environment_points_at_the_stack_resources(template):
    env = function_environment(template)
    assert env["IDENTIDOCK_STAGE"] == "prod"
    assert referenced(env["DNMONSTER_URL"]) == {
        next(iter(resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")))
    }
    assert env["DNMONSTER_URL"]["Fn::Sub"].startswith("http://")
    (cache_name,) = resources(template, "AWS::ElastiCache::ReplicationGroup")
    assert referenced(env["REDIS_URL"]) == {cache_name}
    assert env["REDIS_URL"]["Fn::Sub"].startswith("rediss://")
    assert only_ref(env["REDIS_AUTH_SECRET_ID"]) == only_ref(cache(template)["AuthToken"])
    assert env["IDENTIDOCK_SALT_PARAM"] == {"Ref": "SaltParameterName"}
    assert "IDENTIDOCK_SALT" not in env
    assert "REDIS_AUTH_TOKEN" not in env


def test_function_timeout_outlasts_its_dependencies_and_concurrency_is_reserved(template):
    # Literal values for what the stack fills in at deploy time; everything else is the template's.
    wired = {
        "DNMONSTER_URL": "http://dnmonster.internal",
        "REDIS_URL": "rediss://cache:6379/0",
        "PUBLIC_BASE_URL": "https://identicons.example.com/api/",
    }
    env = {
        key: wired.get(key, value if isinstance(value, str) else "x")
        for key, value in function_environment(template).items()
    }
    settings = build_settings(env)
    redis = settings.cache.redis
    assert redis is not None
    dnmonster = settings.dnmonster
    lock_seconds = (dnmonster.timeout * 1000 + LOCK_MARGIN_MS) / 1000
    worst_case = (
        redis.connect_timeout
        + 3 * redis.timeout  # get, claim, store
        + lock_seconds  # a follower waits at most the leader's lock lifetime, then takes over
        + dnmonster.timeout  # one dnmonster call, wall clock (connect, headers, body)
        + LAMBDA_MARGIN_SECONDS  # kept back from Lambda's limit to answer 504 in time
    )
    timeout = function(template)["Timeout"]
    assert worst_case < timeout <= API_GATEWAY_LIMIT_SECONDS
    assert function(template)["ReservedConcurrentExecutions"] >= 1


def test_outputs_include_the_api_url(template):
    url = template["Outputs"]["EndpointURL"]["Value"]["Fn::Sub"]
    assert url.startswith("https://${RestAPI}.execute-api.${AWS::Region}.")
    assert template["Resources"]["RestAPI"]["Type"] == "AWS::Serverless::Api"
