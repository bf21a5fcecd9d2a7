"""docker-compose.yml and infra/app.Dockerfile, checked without a Docker engine.

The Compose file is validated against the Compose specification's JSON schema as vendored by
check-jsonschema (`vendor.compose-spec`); the rest checks that the pieces fit each other: URLs
point at services and at the ports their images expose, dependencies have health checks, the app
image holds what `chalice local` needs and the `local` stage lets Compose's environment through.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml
from mirakuru import HTTPExecutor

from chalicelib.config import ENV_VARS
from infra.package import PROJECT_DIR

COMPOSE_FILE = PROJECT_DIR / "docker-compose.yml"
APP_DOCKERFILE = PROJECT_DIR / "infra" / "app.Dockerfile"
BIN = Path(sys.executable).parent


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def check_compose_schema(path: Path) -> subprocess.CompletedProcess:
    command = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def instructions(dockerfile: Path, keyword: str) -> list[str]:
    """The arguments of every `keyword` instruction, continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    return [
        line.split(None, 1)[1]
        for line in text.splitlines()
        if line.split(None, 1)[:1] == [keyword] and len(line.split(None, 1)) == 2
    ]


def service_dockerfile(name: str) -> Path:
    build = compose()["services"][name]["build"]
    return PROJECT_DIR / build["context"] / build.get("dockerfile", "Dockerfile")


# ------------------------------------------------------------------ the specification


def test_compose_file_is_valid_against_the_compose_specification():
    result = check_compose_schema(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("service", "key", "value", "named"),
    [
        ("identidock", "depends_on", {"redis": {"condition": "whenever"}}, "depends_on"),
        ("dnmonster", "biuld", {"context": "dnmonster"}, "biuld"),
        ("redis", "ports", [{"target": "6379", "protocol": 6}], "ports"),
    ],
)
def test_the_schema_check_rejects_an_invalid_compose_file(tmp_path, service, key, value, named):
    broken = compose()
    broken["services"][service][key] = value
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    result = check_compose_schema(path)
    assert result.returncode != 0
    assert f"$.services.{service}" in result.stdout
    assert named in result.stdout


# ------------------------------------------------------------------ the pieces fit


def test_the_book_services_are_all_there_and_only_the_app_is_published():
    services = compose()["services"]
    assert set(services) == {"identidock", "dnmonster", "redis"}
    assert services["identidock"]["ports"] == ["127.0.0.1:8000:8000"]
    assert "ports" not in services["dnmonster"]
    assert "ports" not in services["redis"]


def test_every_build_context_and_dockerfile_exists():
    services = compose()["services"]
    built = [name for name, service in services.items() if "build" in service]
    assert built == ["identidock", "dnmonster"]
    for name in built:
        assert service_dockerfile(name).is_file(), name
    assert service_dockerfile("dnmonster") == PROJECT_DIR / "dnmonster" / "Dockerfile"


def test_the_app_serves_on_the_published_port():
    (command,) = instructions(APP_DOCKERFILE, "CMD")
    argv = json.loads(command)
    assert argv[:2] == ["chalice", "local"]
    assert argv[argv.index("--port") + 1] == "8000"
    assert argv[argv.index("--host") + 1] == "0.0.0.0"  # noqa: S104 (inside the container)
    assert instructions(APP_DOCKERFILE, "EXPOSE") == ["8000"]


def test_the_app_finds_dnmonster_and_redis_by_service_name_and_exposed_port():
    services = compose()["services"]
    env = services["identidock"]["environment"]
    dnmonster = urlsplit(env["DNMONSTER_URL"])
    assert dnmonster.hostname == "dnmonster"
    assert str(dnmonster.port) in instructions(service_dockerfile("dnmonster"), "EXPOSE")
    redis = urlsplit(env["REDIS_URL"])
    assert redis.hostname == "redis"
    assert str(redis.port) in services["redis"]["expose"]
    assert set(env) <= set(ENV_VARS), "Compose sets a variable the function does not read"


def test_the_app_waits_for_healthy_dependencies_that_have_health_checks():
    services = compose()["services"]
    depends = services["identidock"]["depends_on"]
    assert depends == {
        "dnmonster": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert instructions(service_dockerfile("dnmonster"), "HEALTHCHECK")
    assert services["redis"]["healthcheck"]["test"][0] == "CMD"


def test_the_cache_evicts_like_the_aws_one(template):
    command = compose()["services"]["redis"]["command"]
    policy = command[command.index("--maxmemory-policy") + 1]
    (group,) = (
        body
        for body in template["Resources"].values()
        if body["Type"] == "AWS::ElastiCache::ParameterGroup"
    )
    assert policy == group["Properties"]["Properties"]["maxmemory-policy"] == "allkeys-lru"
    assert command[0] == "valkey-server"
    assert "valkey" in compose()["services"]["redis"]["image"]


def test_the_local_stage_lets_composes_environment_through():
    # `chalice local` copies the stage's environment_variables over the process environment.
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    stage = config["stages"]["local"]
    overridden = set(stage.get("environment_variables", {})) | set(
        config.get("environment_variables", {})
    )
    env = compose()["services"]["identidock"]["environment"]
    assert not overridden & {"DNMONSTER_URL", "REDIS_URL"}
    assert overridden <= set(env)
    for name in overridden:
        assert env[name] == stage.get("environment_variables", {}).get(name)


# ------------------------------------------------------------------ the app image


def test_app_dockerfile_passes_hadolint():
    hadolint = BIN / "hadolint"
    command = [str(hadolint), "--failure-threshold", "warning", str(APP_DOCKERFILE)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_app_image_holds_what_chalice_local_needs_and_nothing_else():
    copied = [args.split()[0] for args in instructions(APP_DOCKERFILE, "COPY")]
    assert set(copied) == {"requirements.txt", "app.py", "chalicelib/", ".chalice/config.json"}
    for path in copied:
        assert (PROJECT_DIR / path).exists(), path
    ignore_file = APP_DOCKERFILE.parent / "app.Dockerfile.dockerignore"
    rules = [line for line in ignore_file.read_text().splitlines() if not line.startswith("#")]
    assert rules[0] == "*", "the context must start from nothing"
    allowed = {line[1:].rstrip("/") for line in rules if line.startswith("!")}
    assert allowed == {path.rstrip("/") for path in copied}


def test_app_image_pins_chalice_as_requirements_dev_does():
    (run,) = instructions(APP_DOCKERFILE, "RUN")
    pinned = re.search(r"\bchalice==([\w.]+)", run)
    assert pinned, "chalice is not pinned in infra/app.Dockerfile"
    dev = (PROJECT_DIR / "requirements-dev.txt").read_text()
    assert f"chalice=={pinned.group(1)}" in dev.splitlines()


# ------------------------------------------------------------------ the app image, run for real


def image_files(destination: Path) -> None:
    """Lay out the app image's /app in destination, as infra/app.Dockerfile's COPY lines do."""
    (workdir,) = instructions(APP_DOCKERFILE, "WORKDIR")
    for args in instructions(APP_DOCKERFILE, "COPY"):
        source, target = args.split()
        inside = destination / Path(target).relative_to(workdir)
        if (PROJECT_DIR / source).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(PROJECT_DIR / source, inside, ignore=ignore)
        else:
            inside.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_DIR / source, inside)


@pytest.mark.integration
def test_the_app_image_files_serve_identidock_with_composes_environment(
    tmp_path, free_port, dnmonster_service, redis_service
):
    """The image's files, CMD and Compose environment, with Compose's service names resolved to
    real loopback servers: the page renders and a monster is drawn by dnmonster and cached."""
    app = tmp_path / "app"
    image_files(app)
    env = dict(compose()["services"]["identidock"]["environment"])
    env["DNMONSTER_URL"] = dnmonster_service.url
    env["REDIS_URL"] = redis_service.url
    (command,) = instructions(APP_DOCKERFILE, "CMD")
    argv = json.loads(command)
    argv[0] = str(BIN / "chalice")
    argv[argv.index("--host") + 1] = "127.0.0.1"
    argv[argv.index("--port") + 1] = str(free_port)
    url = f"http://127.0.0.1:{free_port}"
    server = HTTPExecutor(argv, url=f"{url}/", method="GET", cwd=str(app), envvars=env, timeout=60)
    with server:
        page = requests.get(f"{url}/", timeout=10)
        assert page.status_code == 200
        assert page.headers["Content-Type"].startswith("text/html")
        monster = requests.get(f"{url}/monster/compose-check", timeout=10)
        assert monster.status_code == 200
        assert monster.headers["Content-Type"] == "image/png"
        assert monster.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert redis_service.client().dbsize() >= 1
