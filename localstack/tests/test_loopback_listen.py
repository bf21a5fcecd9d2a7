"""LocalStack listens on loopback only (stock 4.13.1 listens on 0.0.0.0 whatever it is told).

Anyone who reaches LocalStack's port can read the function's salt and Redis token and, through
our executor, run code as the user running LocalStack (it accepts any credentials), so the port
must be private to this machine.
"""

import json
import subprocess
from typing import Any

import psutil
import pytest

from identidock_fn.localstack import from_env, running_pid

pytestmark = pytest.mark.integration

LOOPBACK = {"127.0.0.1", "::1"}

# Registers LocalStack's gateway with GATEWAY_LISTEN=127.0.0.1:<free port>, without running it,
# and reports the addresses this process then listens on: with the stock server and with ours.
SCRIPT = """
import json, socket, sys
import psutil
from localstack.config import HostAndPort
from localstack.runtime.server.twisted import TwistedRuntimeServer
from rolo.gateway import Gateway
from identidock_lambda_executor import loopback_listen

def listening_after(register):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    register(TwistedRuntimeServer(), Gateway(), [HostAndPort("127.0.0.1", port)], None)
    return sorted({c.laddr.ip for c in psutil.Process().net_connections("inet")
                   if c.status == psutil.CONN_LISTEN and c.laddr.port == port})

stock = listening_after(TwistedRuntimeServer.register)
loopback_listen.listen_on_configured_hosts()
print(json.dumps({"stock": stock, "ours": listening_after(TwistedRuntimeServer.register)}))
"""


def listening_addresses(process: psutil.Process) -> set[str]:
    return {
        connection.laddr.ip
        for connection in process.net_connections("inet")
        if connection.status == psutil.CONN_LISTEN
    }


def test_stock_server_listens_everywhere_ours_on_the_configured_host(localstack: Any) -> None:
    result = subprocess.run(
        [str(from_env().python), "-c", SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
        timeout=120,
    )
    everywhere = "0.0.0.0"  # noqa: S104 - what the stock server does, not what we do
    assert json.loads(result.stdout) == {"stock": [everywhere], "ours": ["127.0.0.1"]}


def test_every_socket_localstack_and_its_functions_listen_on_is_loopback(
    localstack: Any, create_function: Any
) -> None:
    create_function(localstack, "listen-check", "def handle(event, context):\n    return 1\n")
    localstack.client("lambda").invoke(FunctionName="listen-check")  # a function process runs
    pid = running_pid(from_env(localstack.port, localstack.state_dir))
    assert pid is not None
    main = psutil.Process(pid)
    processes = [main, *main.children(recursive=True)]
    assert len(processes) >= 2
    addresses = set().union(*(listening_addresses(process) for process in processes))
    assert localstack.port in {
        connection.laddr.port
        for connection in main.net_connections("inet")
        if connection.status == psutil.CONN_LISTEN
    }
    assert addresses
    assert addresses <= LOOPBACK, addresses
    localstack.client("lambda").delete_function(FunctionName="listen-check")
