"""Alarms, their topic and the dashboard in the merged template, and that they read the metrics
the function really emits (chalicelib/metrics.py builds them for every request line)."""

from __future__ import annotations

import json
import re
from typing import Any

from chalicelib.metrics import NAMESPACE, emf_fields
from tests.infra.cfn_query import only_ref, props, referenced, resources

PSEUDO = {"AWS::Region", "AWS::StackName", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"}


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in resources(template, "AWS::CloudWatch::Alarm").items()}


def metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm reads: its single metric, or each MetricStat of its metric math."""
    properties = alarm["Properties"]
    if "MetricName" in properties:
        return [
            {
                "Namespace": properties["Namespace"],
                "MetricName": properties["MetricName"],
                "Dimensions": properties["Dimensions"],
            }
        ]
    return [item["MetricStat"]["Metric"] for item in properties["Metrics"] if "MetricStat" in item]


def alarm_reading(template: dict[str, Any], namespace: str, metric: str) -> dict[str, Any]:
    found = [
        body
        for body in alarms(template).values()
        if any((m["Namespace"], m["MetricName"]) == (namespace, metric) for m in metric_stats(body))
    ]
    assert found, f"no alarm reads {namespace} {metric}"
    return found[0]


def emitted_metrics() -> dict[str, set[tuple[str, ...]]]:
    """Metric name -> its dimension sets, from lines covering every optional metric."""
    line = emf_fields(
        route="/monster/{name}",
        status=504,
        cache="error",
        total_ms=5.0,
        dnmonster_ms=4.0,
        dnmonster_error="timeout",
        breakers_opened=["redis", "dnmonster"],
    )
    found: dict[str, set[tuple[str, ...]]] = {}
    for directive in line["_aws"]["CloudWatchMetrics"]:
        assert directive["Namespace"] == NAMESPACE
        for metric in directive["Metrics"]:
            found.setdefault(metric["Name"], set()).update(map(tuple, directive["Dimensions"]))
    return found


def function_name_sub(template: dict[str, Any]) -> str:
    return str(props(template, "APIHandler")["FunctionName"]["Fn::Sub"])


def test_alarms_watch_everything_the_issue_lists(template: dict[str, Any]) -> None:
    for namespace, metric in [
        ("AWS/ApiGateway", "5XXError"),
        (NAMESPACE, "dnmonster_errors"),
        (NAMESPACE, "total_ms"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/Lambda", "Duration"),
        ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage"),
        ("AWS/ElastiCache", "Evictions"),
        ("AWS/ElastiCache", "EngineCPUUtilization"),
        ("AWS/ApplicationELB", "HealthyHostCount"),
        ("AWS/ApplicationELB", "UnHealthyHostCount"),
        ("AWS/CloudFront", "5xxErrorRate"),
    ]:
        alarm_reading(template, namespace, metric)


def test_the_cache_alarm_counts_errors_and_bypasses_among_all_requests(
    template: dict[str, Any],
) -> None:
    alarm = alarm_reading(template, NAMESPACE, "total_ms")["Properties"]
    series = {}
    for item in alarm["Metrics"]:
        if "MetricStat" in item:
            dimensions = item["MetricStat"]["Metric"]["Dimensions"]
            series[item["Id"]] = {d["Name"]: d["Value"] for d in dimensions}.get("cache")
            assert item["MetricStat"]["Stat"] == "SampleCount"  # requests, not milliseconds
    assert set(series.values()) == {"bypass", "error", None}  # None: all requests
    (expression,) = [item["Expression"] for item in alarm["Metrics"] if "Expression" in item]
    for metric_id in series:
        assert metric_id in expression


def test_every_alarm_notifies_the_topic_and_treats_no_data_as_fine(
    template: dict[str, Any],
) -> None:
    (topic,) = resources(template, "AWS::SNS::Topic")
    assert len(alarms(template)) >= 12
    for name, alarm in alarms(template).items():
        properties = alarm["Properties"]
        assert [only_ref(a) for a in properties["AlarmActions"]] == [topic], name
        assert [only_ref(a) for a in properties["OKActions"]] == [topic], name
        assert properties["TreatMissingData"] == "notBreaching", name
        assert referenced(properties["AlarmName"]) == {"AWS::StackName"}, name


def test_the_email_subscription_is_optional(template: dict[str, Any]) -> None:
    (subscription,) = resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    parameter = template["Parameters"]["AlarmEmail"]
    assert parameter["Default"] == ""
    for good in ("", "ops@example.com"):
        assert re.fullmatch(parameter["AllowedPattern"], good)
    for bad in ("ops", "ops@", "a b@example.com"):
        assert not re.fullmatch(parameter["AllowedPattern"], bad)


def test_function_alarms_read_metrics_the_function_emits_under_its_own_name(
    template: dict[str, Any],
) -> None:
    emitted = emitted_metrics()
    for name, alarm in alarms(template).items():
        for metric in metric_stats(alarm):
            if metric["Namespace"] != NAMESPACE:
                continue
            dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            assert metric["MetricName"] in emitted, (name, metric["MetricName"])
            assert tuple(dimensions) in emitted[metric["MetricName"]], (name, dimensions)
            assert dimensions["function"] == {"Fn::Sub": function_name_sub(template)}


def test_lambda_alarms_name_the_function_and_p99_sits_below_its_timeout(
    template: dict[str, Any],
) -> None:
    duration = alarm_reading(template, "AWS/Lambda", "Duration")["Properties"]
    timeout_ms = props(template, "APIHandler")["Timeout"] * 1000
    assert duration["ExtendedStatistic"] == "p99"
    assert 0.5 * timeout_ms <= duration["Threshold"] < timeout_ms
    for metric in ("Errors", "Throttles", "Duration"):
        (dimension,) = alarm_reading(template, "AWS/Lambda", metric)["Properties"]["Dimensions"]
        assert dimension == {
            "Name": "FunctionName",
            "Value": {"Fn::Sub": function_name_sub(template)},
        }


def test_api_alarm_names_the_api_and_stage_cloudformation_creates(template: dict[str, Any]) -> None:
    properties = alarm_reading(template, "AWS/ApiGateway", "5XXError")["Properties"]
    dimensions = {d["Name"]: d["Value"] for d in properties["Dimensions"]}
    assert dimensions["ApiName"] == props(template, "RestAPI")["Name"]
    assert dimensions["Stage"] == props(template, "RestAPI")["StageName"]


def test_cache_alarms_watch_the_primary_node_and_dnmonster_alarms_its_targets(
    template: dict[str, Any],
) -> None:
    for metric in ("DatabaseMemoryUsagePercentage", "Evictions", "EngineCPUUtilization"):
        (dimension,) = alarm_reading(template, "AWS/ElastiCache", metric)["Properties"][
            "Dimensions"
        ]
        assert dimension["Name"] == "CacheClusterId"
        assert dimension["Value"] == {"Fn::Sub": "${CacheReplicationGroup}-001"}
    tasks = alarm_reading(template, "AWS/ApplicationELB", "HealthyHostCount")["Properties"]
    assert tasks["Threshold"] == {"Ref": "DnmonsterTaskCount"}
    assert tasks["ComparisonOperator"] == "LessThanThreshold"
    targets = {d["Name"]: d["Value"] for d in tasks["Dimensions"]}
    assert targets["TargetGroup"] == {"Fn::GetAtt": ["DnmonsterTargetGroup", "TargetGroupFullName"]}


def test_the_cloudfront_alarm_exists_only_where_cloudfront_publishes(
    template: dict[str, Any],
) -> None:
    alarm = alarm_reading(template, "AWS/CloudFront", "5xxErrorRate")
    assert alarm["Condition"] == "InUsEast1"
    assert template["Conditions"]["InUsEast1"] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]
    }


def dashboard_body(template: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    text = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    names = set(re.findall(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}", text))
    return json.loads(re.sub(r"\$\{[^}]+\}", "x", text)), names


def test_the_dashboard_is_valid_json_naming_only_real_resources(template: dict[str, Any]) -> None:
    body, names = dashboard_body(template)
    assert names <= set(template["Resources"]) | set(template["Parameters"]) | PSEUDO
    kinds = [widget["type"] for widget in body["widgets"]]
    assert kinds.count("alarm") == 1
    (alarm_widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    raw = (next(iter(resources(template, "AWS::CloudWatch::Dashboard").values())))["Properties"]
    listed = set(re.findall(r"\$\{(\w+)\.Arn\}", raw["DashboardBody"]["Fn::Sub"]))
    unconditional = {name for name, body in alarms(template).items() if "Condition" not in body}
    assert listed == unconditional  # a conditional alarm's ARN would not resolve without it
    assert len(alarm_widget["properties"]["alarms"]) == len(unconditional)


def test_the_dashboard_shows_every_service_and_the_function_metrics(
    template: dict[str, Any],
) -> None:
    body, _ = dashboard_body(template)
    namespaces: set[str] = set()
    function_metrics: set[str] = set()
    for widget in body["widgets"]:
        for row in widget["properties"].get("metrics", []):
            if isinstance(row[0], str):
                namespaces.add(row[0])
                if row[0] == NAMESPACE:
                    function_metrics.add(row[1])
            else:
                namespaces.update(re.findall(r"\{(\w+),", row[0].get("expression", "")))
    assert {
        "AWS/ApiGateway",
        "AWS/Lambda",
        "AWS/ElastiCache",
        "AWS/ECS",
        "AWS/ApplicationELB",
        "AWS/CloudFront",
        NAMESPACE,
    } <= namespaces
    assert function_metrics <= set(emitted_metrics())
    assert {"total_ms", "dnmonster_ms"} <= function_metrics
