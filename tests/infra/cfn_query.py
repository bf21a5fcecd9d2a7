"""Small readers for a CloudFormation template held as plain data (intrinsics in long form)."""

from __future__ import annotations

import re
from typing import Any

SUB_NAME = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}")


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, for every resource of one type."""
    return {name: body for name, body in template["Resources"].items() if body.get("Type") == kind}


def props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id].get("Properties", {})


def referenced(value: Any) -> set[str]:
    """Logical ids and parameters a value points at through Ref, GetAtt or Sub."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return {value["Ref"]}
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            return {target[0] if isinstance(target, list) else target.split(".")[0]}
        if set(value) == {"Fn::Sub"}:
            body = value["Fn::Sub"]
            text = body if isinstance(body, str) else body[0]
            return set(SUB_NAME.findall(text))
        found: set[str] = set()
        for item in value.values():
            found |= referenced(item)
        return found
    if isinstance(value, list):
        found = set()
        for item in value:
            found |= referenced(item)
        return found
    return set()


def only_ref(value: Any) -> str:
    """The single logical id a value references; fails when it is a literal or several."""
    names = referenced(value)
    assert len(names) == 1, f"expected one reference in {value!r}, found {names}"
    return names.pop()


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def ingress_rules(template: dict[str, Any], group: str) -> list[dict[str, Any]]:
    """Every ingress rule of a security group: inline ones and standalone Ingress resources."""
    rules = list(props(template, group).get("SecurityGroupIngress", []))
    for body in resources(template, "AWS::EC2::SecurityGroupIngress").values():
        if only_ref(body["Properties"]["GroupId"]) == group:
            rules.append(body["Properties"])
    return rules


def egress_rules(template: dict[str, Any], group: str) -> list[dict[str, Any]]:
    rules = list(props(template, group).get("SecurityGroupEgress", []))
    for body in resources(template, "AWS::EC2::SecurityGroupEgress").values():
        if only_ref(body["Properties"]["GroupId"]) == group:
            rules.append(body["Properties"])
    return rules
