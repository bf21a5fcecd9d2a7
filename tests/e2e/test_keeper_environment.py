"""The deploy keeper's servers get only the environment they need (issue 10, item 11).

`deploy --target localstack` leaves redis-server and dnmonster to a detached keeper process
(`python -m identidock_fn.keeper`). None of them may hold the Redis AUTH token in its environment
(dnmonster never needs it; redis-server gets it as its password), nor anything else of the
environment `deploy` ran in.
"""

import secrets
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from identidock_fn import keeper as keeper_module

pytestmark = pytest.mark.e2e

CANARY = "IDENTIDOCK_E2E_CANARY"
# What the keeper passes on (keeper.environment) and what a launcher may add for its server.
KEEPER_VARIABLES = {"PATH", "LANG", "TMPDIR"}


def environ(process: psutil.Process) -> dict[str, str]:
    """/proc/<pid>/environ: the environment the process was started with."""
    raw = Path(f"/proc/{process.pid}/environ").read_bytes()
    pairs = (item.partition(b"=") for item in raw.split(b"\0") if item)
    return {key.decode(): value.decode(errors="replace") for key, _, value in pairs}


def keeper_tree(work: Path) -> list[psutil.Process]:
    pid = keeper_module.running_pid(work)
    assert pid is not None
    keeper = psutil.Process(pid)
    return [keeper, *keeper.children(recursive=True)]


def assert_only_what_they_need(work: Path, token: str, canary: str) -> None:
    """No process of the keeper's tree holds the token or the caller's other variables."""
    tree = keeper_tree(work)
    names = {" ".join(process.cmdline()[:3]) for process in tree}
    assert any("redis-server" in name for name in names), names
    assert any("dnmonster" in name for name in names), names
    for process in tree:
        env = environ(process)
        held = "\0".join(f"{key}={value}" for key, value in env.items())
        assert token not in held, process.cmdline()
        assert canary not in held, process.cmdline()
        assert not [key for key in env if key.startswith("AWS_")], process.cmdline()
    assert set(environ(tree[0])) <= KEEPER_VARIABLES


@pytest.fixture
def keeper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str, str]]:
    token = secrets.token_urlsafe(24)
    canary = secrets.token_hex(8)
    monkeypatch.setenv(CANARY, canary)
    monkeypatch.setenv("IDENTIDOCK_REDIS_TOKEN", token)  # as `deploy --redis-token` reads it
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", canary)
    work = tmp_path / "services"
    try:
        services = keeper_module.start_services(work, token, echo=lambda _: None)
        assert services.redis_url.startswith("rediss://127.0.0.1:")
        yield work, token, canary
    finally:
        keeper_module.stop_services(work, echo=lambda _: None)


def test_keeper_and_its_servers_hold_no_token_and_no_foreign_variable(
    keeper: tuple[Path, str, str],
) -> None:
    work, token, canary = keeper
    assert_only_what_they_need(work, token, canary)


def test_the_started_redis_asks_for_the_token(keeper: tuple[Path, str, str]) -> None:
    """The token reached redis-server (through a pipe, then its configuration), not just nowhere."""
    import json

    import redis

    work, token, _ = keeper
    state = json.loads(keeper_module.state_file(work).read_text())
    client = redis.Redis.from_url(
        state["redis_url"], password=token, ssl_ca_certs=state["redis_ca_file"], socket_timeout=5
    )
    assert client.ping() is True
    wrong = redis.Redis.from_url(
        state["redis_url"], password="wrong", ssl_ca_certs=state["redis_ca_file"], socket_timeout=5
    )
    with pytest.raises(redis.AuthenticationError):
        wrong.ping()
