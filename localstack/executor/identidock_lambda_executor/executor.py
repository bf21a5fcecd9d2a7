"""A LocalStack ``RuntimeExecutor`` that runs each execution environment as a local Python process.

LocalStack community runs Lambdas only in Docker containers. This executor starts
``runtime.py`` instead, with the function's unzipped code as its task root, and speaks the same
executor-endpoint protocol through LocalStack's own ``ExecutorEndpoint``. It enforces the function
timeout (kills the process and reports "Task timed out", as Lambda does) and restarts the process on
the next invocation after a timeout or a crash, the way Lambda gives a fresh sandbox.
"""

import json
import logging
import os
import subprocess
import sys
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from pathlib import Path

import requests
from localstack.aws.api.lambda_ import PackageType
from localstack.services.lambda_.invocation.executor_endpoint import ExecutorEndpoint
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)
from localstack.utils.net import get_free_tcp_port

from localstack import config

LOG = logging.getLogger(__name__)

RUNTIME_SCRIPT = Path(__file__).with_name("runtime.py")
# Packages the Lambda Python runtime itself provides (boto3); installed by the launcher.
RUNTIME_PATH_ENV = "IDENTIDOCK_LAMBDA_RUNTIME_PATH"
# The one runtime this executor can be honest about: the interpreter it starts functions with.
SUPPORTED_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"


def python_for_functions() -> str:
    """The interpreter behind LocalStack's virtual environment: a plain Python, no site-packages."""
    return getattr(sys, "_base_executable", None) or sys.executable


def timeout_payload(request_id: str, timeout_seconds: int) -> bytes:
    """What Lambda answers when a function runs past its timeout."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    message = f"{now} {request_id} Task timed out after {timeout_seconds:.2f} seconds"
    return json.dumps({"errorMessage": message}).encode()


class LocalProcessRuntimeExecutor(RuntimeExecutor):
    """One execution environment = one local process running ``runtime.py``."""

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.executor_endpoint = ExecutorEndpoint(self.id, container_address="127.0.0.1")
        self.process: subprocess.Popen[bytes] | None = None
        self.env_vars: dict[str, str] = {}
        self.log_path = Path(config.dirs.tmp) / "lambda-processes" / f"{self.id}.log"
        self.lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, env_vars: dict[str, str]) -> None:
        self.env_vars = {key: str(value) for key, value in env_vars.items()}
        self.executor_endpoint.start()
        self._spawn()

    def _spawn(self) -> None:
        port = get_free_tcp_port()
        self.executor_endpoint.container_port = port
        code_dir = str(self.function_version.config.code.get_unzipped_code_location())
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            **self.env_vars,
            "LAMBDA_TASK_ROOT": code_dir,
            "IDENTIDOCK_INVOKE_PORT": str(port),
            "IDENTIDOCK_RUNTIME_PATH": os.environ.get(RUNTIME_PATH_ENV, ""),
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # Same process group as LocalStack: stopping LocalStack's group stops every function.
            self.process = subprocess.Popen(
                [python_for_functions(), "-I", "-S", str(RUNTIME_SCRIPT)],
                cwd=code_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        threading.Thread(target=self._report_exit, args=(self.process,), daemon=True).start()
        self.executor_endpoint.wait_for_startup()

    def _report_exit(self, process: subprocess.Popen[bytes]) -> None:
        """A process that dies mid-invocation fails that invocation instead of hanging it."""
        code = process.wait()
        if getattr(process, "killed_on_purpose", False):
            return
        future = self.executor_endpoint.invocation_future
        if future is not None and not future.done():
            payload = json.dumps(
                {"errorType": "Runtime.ExitError", "errorMessage": f"Runtime exited: status {code}"}
            ).encode()
            future.set_result(InvocationResult("", payload, is_error=True, logs=self.get_logs()))
        startup = self.executor_endpoint.startup_future
        if startup is not None and not startup.done():
            startup.set_exception(LambdaRuntimeException(f"Runtime exited at start: status {code}"))

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.killed_on_purpose = True  # type: ignore[attr-defined]
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        self._kill()
        try:
            self.executor_endpoint.shutdown()
        except Exception as error:
            LOG.debug("Executor endpoint %s shut down with: %s", self.id, error)

    # -- invocation -----------------------------------------------------------------------------
    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.executor_endpoint.startup_future = Future()
                self._spawn()
            endpoint = self.executor_endpoint
            endpoint.invocation_future = Future()
            endpoint.logs = None
            url = f"http://127.0.0.1:{endpoint.container_port}/invoke"
            requests.post(url, json=payload, proxies={"http": "", "https": ""}, timeout=10)
            timeout = int(self.function_version.config.timeout)
            try:
                return endpoint.invocation_future.result(timeout=timeout)
            except FutureTimeout:
                self._kill()
                request_id = payload["invoke-id"]
                return InvocationResult(
                    request_id,
                    timeout_payload(request_id, timeout),
                    is_error=True,
                    logs=f"{endpoint.logs or ''}Task timed out after {timeout:.2f} seconds\n",
                )

    # -- addresses and logs ---------------------------------------------------------------------
    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        port = config.GATEWAY_LISTEN[0].port
        return f"http://127.0.0.1:{port}{self.executor_endpoint.get_endpoint_prefix()}"

    def get_logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- versions -------------------------------------------------------------------------------
    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        cfg = function_version.config
        if cfg.package_type != PackageType.Zip:
            raise LambdaRuntimeException("Only zip packages run without Docker.")
        if cfg.runtime != SUPPORTED_RUNTIME:
            raise LambdaRuntimeException(
                f"Runtime {cfg.runtime} is not supported here, only {SUPPORTED_RUNTIME}"
            )
        if cfg.code:
            cfg.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        """Nothing to undo: the unzipped code belongs to LocalStack's code store."""

    @classmethod
    def validate_environment(cls) -> bool:
        return True
