"""The edge and the limits in the merged template: CloudFront, stage throttling, optional WAF.

The CloudFront Function's code is run under a real JavaScript engine (Node.js: the system one,
or the one Playwright ships) with CloudFront's viewer-request event shape.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from chalicelib.middleware import gateway_decodes
from tests.infra.cfn_query import only_ref, props, referenced, resources

ONE_YEAR = 31536000  # the images' Cache-Control: public, max-age=31536000, immutable
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
#: Headers CloudFront refuses as origin custom headers ("Custom headers that CloudFront can't add
#: to origin requests", CloudFront Developer Guide).
CLOUDFRONT_CANNOT_ADD = {
    "cache-control", "connection", "content-length", "cookie", "host", "if-match",
    "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "max-forwards",
    "pragma", "proxy-authorization", "proxy-connection", "range", "request-range", "te",
    "trailer", "transfer-encoding", "upgrade", "via", "x-real-ip",
}  # fmt: skip


def distribution(template: dict[str, Any]) -> dict[str, Any]:
    (body,) = resources(template, "AWS::CloudFront::Distribution").values()
    config: dict[str, Any] = body["Properties"]["DistributionConfig"]
    return config


def behaviours(template: dict[str, Any]) -> list[dict[str, Any]]:
    config = distribution(template)
    return [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]


def image_behaviour(template: dict[str, Any]) -> dict[str, Any]:
    (found,) = [
        b for b in distribution(template)["CacheBehaviors"] if "monster" in b["PathPattern"]
    ]
    return dict(found)


def api(template: dict[str, Any]) -> dict[str, Any]:
    return props(template, "RestAPI")


# ------------------------------------------------------------------ CloudFront


def test_the_api_is_regional_and_cloudfront_reaches_it_over_https_only(
    template: dict[str, Any],
) -> None:
    assert api(template)["EndpointConfiguration"] == "REGIONAL"
    config = distribution(template)
    (origin,) = config["Origins"]
    assert referenced(origin["DomainName"]) >= {"RestAPI"}
    assert ".execute-api." in origin["DomainName"]["Fn::Sub"]
    assert "OriginPath" not in origin  # viewer paths are the API's own, stage prefix included
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    for behaviour in behaviours(template):
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
        assert behaviour["TargetOriginId"] == origin["Id"]


def test_images_are_cached_as_long_as_the_origin_says_keyed_on_path_size_and_format(
    template: dict[str, Any],
) -> None:
    behaviour = image_behaviour(template)
    stage = api(template)["StageName"]
    assert behaviour["PathPattern"] == f"/{stage}/monster/*"
    assert "/monster/{name}" in api(template)["DefinitionBody"]["paths"]
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    assert "OriginRequestPolicyId" not in behaviour  # nothing forwarded beyond the cache key
    policy = props(template, only_ref(behaviour["CachePolicyId"]))["CachePolicyConfig"]
    assert policy["MinTTL"] == 0
    assert policy["MaxTTL"] >= ONE_YEAR
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["QueryStringsConfig"]["QueryStringBehavior"] == "whitelist"
    assert set(key["QueryStringsConfig"]["QueryStrings"]) == {"size", "format"}
    assert key["EnableAcceptEncodingGzip"] is False
    assert key["EnableAcceptEncodingBrotli"] is False


def test_the_page_is_never_cached_and_gets_every_viewer_header_but_host(
    template: dict[str, Any],
) -> None:
    page = distribution(template)["DefaultCacheBehavior"]
    assert page["CachePolicyId"] == CACHING_DISABLED
    assert page["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert "POST" in page["AllowedMethods"]


def media_range_matches(binary_type: str, accept: str) -> bool:
    return fnmatch(accept, binary_type.replace("*/*", "*"))


def test_the_origin_always_gets_an_accept_that_api_gateway_decodes_binary_for(
    template: dict[str, Any],
) -> None:
    (origin,) = distribution(template)["Origins"]
    headers = {h["HeaderName"].lower(): h["HeaderValue"] for h in origin["OriginCustomHeaders"]}
    assert set(headers) == {"accept"}
    assert "accept" not in CLOUDFRONT_CANNOT_ADD
    binary_types = api(template)["DefinitionBody"]["x-amazon-apigateway-binary-media-types"]
    assert any(media_range_matches(t, headers["accept"]) for t in binary_types)
    assert headers["accept"] == "image/png"
    assert gateway_decodes(headers["accept"])  # and the function's own Accept rule agrees


def test_every_behaviour_sends_hsts_and_the_protective_headers(template: dict[str, Any]) -> None:
    for behaviour in behaviours(template):
        policy = props(template, only_ref(behaviour["ResponseHeadersPolicyId"]))
        security = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
        assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= ONE_YEAR
        assert security["StrictTransportSecurity"]["Override"] is True
        assert security["ContentTypeOptions"]["Override"] is True
        assert security["FrameOptions"]["FrameOption"] == "DENY"
        assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
        assert (
            "ContentSecurityPolicy" not in security
        )  # the page's hash-based CSP is the function's


def test_dependency_failures_are_never_served_from_the_edge(template: dict[str, Any]) -> None:
    errors = {e["ErrorCode"]: e for e in distribution(template)["CustomErrorResponses"]}
    for status in (500, 502, 503, 504):
        assert errors[status]["ErrorCachingMinTTL"] == 0


def test_custom_domain_and_certificate_are_optional_parameters(template: dict[str, Any]) -> None:
    config = distribution(template)
    assert config["Aliases"]["Fn::If"][0] == "HasCustomDomain"
    with_domain, without = config["ViewerCertificate"]["Fn::If"][1:]
    assert with_domain["SslSupportMethod"] == "sni-only"
    assert with_domain["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert without == {"CloudFrontDefaultCertificate": True}
    parameters = template["Parameters"]
    assert parameters["DomainName"]["Default"] == parameters["CertificateArn"]["Default"] == ""
    pattern = parameters["CertificateArn"]["AllowedPattern"]
    assert re.fullmatch(pattern, "arn:aws:acm:us-east-1:123456789012:certificate/0a1b-2c3d")
    assert not re.fullmatch(pattern, "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b-2c3d")
    public_base_url = props(template, "APIHandler")["Environment"]["Variables"]["PUBLIC_BASE_URL"]
    assert public_base_url == {
        "Fn::If": [
            "HasCustomDomain",
            {"Fn::Sub": f"https://${{DomainName}}/{api(template)['StageName']}/"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    rule = template["Rules"]["DomainNeedsCertificate"]
    assert referenced(rule["Assertions"][0]["Assert"]) == {"CertificateArn"}


# ------------------------------------------------------------------ the page function


def node_executable() -> str:
    """Node.js: the system's, else the one Playwright's Python package runs its driver with."""
    found = shutil.which("node")
    if found:
        return found
    import playwright

    (bundled,) = Path(playwright.__file__).parent.glob("driver/node")
    return str(bundled)


RUN_FUNCTION = """
const code = require("fs").readFileSync(process.argv[1], "utf8");
const handler = new Function(code + "; return handler;")();
const events = JSON.parse(process.argv[2]);
process.stdout.write(JSON.stringify(events.map((event) => handler(event))));
"""


def run_viewer_request(template: dict[str, Any], tmp_path: Path, uris: list[str]) -> list[Any]:
    (function,) = resources(template, "AWS::CloudFront::Function").values()
    assert function["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    code = tmp_path / "function.js"
    code.write_text(function["Properties"]["FunctionCode"])
    events = [
        {
            "version": "1.0",
            "context": {"eventType": "viewer-request"},
            "viewer": {"ip": "192.0.2.1"},
            "request": {
                "method": "GET",
                "uri": uri,
                "querystring": {},
                "headers": {"host": {"value": "identicons.example.com"}},
                "cookies": {},
            },
        }
        for uri in uris
    ]
    done = subprocess.run(
        [node_executable(), "-e", RUN_FUNCTION, str(code), json.dumps(events)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answers: list[Any] = json.loads(done.stdout)
    return answers


def test_the_page_function_redirects_the_root_and_passes_the_viewer_host(
    template: dict[str, Any], tmp_path: Path
) -> None:
    root, page, icon = run_viewer_request(template, tmp_path, ["/", "/api/", "/favicon.ico"])
    assert icon["uri"] == f"/{api(template)['StageName']}/favicon.ico"  # the app's own icon
    assert root["statusCode"] == 301
    assert root["headers"]["location"]["value"] == f"/{api(template)['StageName']}/"
    assert page["uri"] == "/api/"
    assert page["headers"]["x-forwarded-host"]["value"] == "identicons.example.com"
    (association,) = distribution(template)["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    assert "FunctionAssociations" not in image_behaviour(template)  # images cost no function call


# ------------------------------------------------------------------ limits


def test_the_stage_throttles_every_method_with_parameters_that_have_safe_defaults(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.infra.test_infra_cfn_lint import sam_transform

    (setting,) = api(template)["MethodSettings"]
    assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")
    assert setting["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRateLimit"}
    assert setting["ThrottlingBurstLimit"] == {"Ref": "ApiThrottleBurstLimit"}
    rate = template["Parameters"]["ApiThrottleRateLimit"]["Default"]
    burst = template["Parameters"]["ApiThrottleBurstLimit"]["Default"]
    # within API Gateway's default account limits (10,000 rps, burst 5,000), burst above rate
    assert 0 < rate <= 10000
    assert rate <= burst <= 5000
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    expanded = sam_transform(template)
    (stage,) = resources(expanded, "AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["MethodSettings"] == [setting]
    (rest_api,) = resources(expanded, "AWS::ApiGateway::RestApi").values()
    assert rest_api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


def test_waf_is_an_off_by_default_per_ip_rate_limit_on_the_distribution(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["EnableWaf"]
    assert parameter["Default"] == "false"
    assert template["Conditions"]["UseWaf"] == {"Fn::Equals": [{"Ref": "EnableWaf"}, "true"]}
    (name, acl) = next(iter(resources(template, "AWS::WAFv2::WebACL").items()))
    assert acl["Condition"] == "UseWaf"
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    assert acl["Properties"]["DefaultAction"] == {"Allow": {}}
    rate_rules = [
        rule for rule in acl["Properties"]["Rules"] if "RateBasedStatement" in rule["Statement"]
    ]
    (rule,) = rate_rules
    assert rule["Action"] == {"Block": {}}
    statement = rule["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP"
    assert statement["Limit"] == {"Ref": "WafRequestsPerIpPer5Minutes"}
    assert distribution(template)["WebACLId"] == {
        "Fn::If": ["UseWaf", {"Fn::GetAtt": [name, "Arn"]}, {"Ref": "AWS::NoValue"}]
    }
    rule_check = template["Rules"]["WafNeedsUsEast1"]
    assert rule_check["Assertions"][0]["Assert"] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]
    }


# ------------------------------------------------------------------ dnmonster scales


def test_dnmonster_scales_by_target_tracking_between_two_parameters(
    template: dict[str, Any],
) -> None:
    (service_name, service) = next(iter(resources(template, "AWS::ECS::Service").items()))
    assert "DesiredCount" not in service["Properties"]  # owned by auto scaling
    (target_name, target) = next(
        iter(resources(template, "AWS::ApplicationAutoScaling::ScalableTarget").items())
    )
    properties = target["Properties"]
    assert properties["ScalableDimension"] == "ecs:service:DesiredCount"
    assert referenced(properties["ResourceId"]) == {
        only_ref(service["Properties"]["Cluster"]),
        service_name,
    }
    assert properties["MinCapacity"] == {"Ref": "DnmonsterTaskCount"}
    assert properties["MaxCapacity"] == {"Ref": "DnmonsterMaxTaskCount"}
    (policy,) = resources(template, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    assert only_ref(policy["Properties"]["ScalingTargetId"]) == target_name
    assert policy["Properties"]["PolicyType"] == "TargetTrackingScaling"
    tracking = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == (
        "ECSServiceAverageCPUUtilization"
    )
    assert tracking["TargetValue"] == {"Ref": "DnmonsterTargetCpuPercent"}


@pytest.mark.parametrize("parameter", ["DnmonsterTaskCount", "DnmonsterMaxTaskCount"])
def test_task_count_parameters_have_bounds(template: dict[str, Any], parameter: str) -> None:
    declared = template["Parameters"][parameter]
    assert 1 <= declared["MinValue"] <= declared["Default"] <= declared["MaxValue"]
