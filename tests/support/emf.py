"""The CloudWatch Embedded Metric Format specification as a checker (unit and e2e suites).

Transcribed from "Specification: Embedded metric format" (Amazon CloudWatch User Guide,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
the JSON schema covers the structure (`_aws`, the metric directives and definitions, their limits
and the unit names); `emf_problems` adds the rules a schema cannot say, that every dimension
names a root member holding a string and every metric a root member holding a number (or an
array of at most 100 numbers), which is what CloudWatch Logs needs to extract anything.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft7Validator

UNITS = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
]

EMF_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "CloudWatch Embedded Metric Format root node",
    "type": "object",
    "required": ["_aws"],
    "properties": {
        "_aws": {
            "type": "object",
            "required": ["Timestamp", "CloudWatchMetrics"],
            "properties": {
                "Timestamp": {"type": "integer", "minimum": 0},
                "LogGroupName": {"type": "string", "minLength": 1},
                "CloudWatchMetrics": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["Namespace", "Dimensions", "Metrics"],
                        "properties": {
                            "Namespace": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": 1024,
                                "pattern": r"^[^:].*$",
                            },
                            "Dimensions": {
                                "type": "array",
                                "items": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": 30,
                                    "items": {"type": "string", "minLength": 1, "maxLength": 250},
                                },
                            },
                            "Metrics": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": 100,
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["Name"],
                                    "properties": {
                                        "Name": {
                                            "type": "string",
                                            "minLength": 1,
                                            "maxLength": 1024,
                                        },
                                        "Unit": {"type": "string", "enum": UNITS},
                                        "StorageResolution": {"type": "integer", "enum": [1, 60]},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}

_VALIDATOR = Draft7Validator(EMF_SCHEMA)
Draft7Validator.check_schema(EMF_SCHEMA)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def emf_problems(document: dict[str, Any]) -> list[str]:
    """Every way the document breaks the specification; empty when CloudWatch can extract it."""
    problems = [
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in _VALIDATOR.iter_errors(document)
    ]
    if problems:
        return problems
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            for name in dimension_set:
                if not isinstance(document.get(name), str):
                    problems.append(f"dimension {name!r} is not a string member of the root")
        for metric in directive["Metrics"]:
            value = document.get(metric["Name"])
            values = value if isinstance(value, list) else [value]
            if not values or len(values) > 100 or not all(map(_is_number, values)):
                problems.append(f"metric {metric['Name']!r} is not a number member of the root")
    return problems
