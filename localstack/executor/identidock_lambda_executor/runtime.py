"""One Lambda execution environment: a Python process that imports the handler once and serves
invocations over LocalStack's executor-endpoint protocol.

Started by ``LocalProcessRuntimeExecutor`` as ``python -I -S runtime.py`` (standard library only, so
none of LocalStack's packages leak into the function) with the function's code directory as cwd and
LocalStack's execution-environment variables in its environment. The protocol:

- once the handler is imported:
  ``POST {LOCALSTACK_RUNTIME_ENDPOINT}/status/{LOCALSTACK_RUNTIME_ID}/ready``
  (or ``.../error`` with the import error, then exit);
- LocalStack ``POST``s ``/invoke`` here (``invoke-id``, ``invoked-function-arn``, ``payload``);
- per invocation: ``POST .../invocations/<id>/logs`` then ``.../invocations/<id>/response`` (the
  handler's JSON result) or ``.../invocations/<id>/error`` (errorMessage, errorType, stackTrace).

The function timeout is enforced by the parent, which kills this process; this process exits by
itself when its parent (LocalStack) goes away.
"""

import importlib
import io
import json
import os
import queue
import sys
import threading
import time
import traceback
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PARENT_POLL_SECONDS = 1.0


def _post(url: str, body: bytes, content_type: str = "application/json") -> None:
    # Only ever the http:// runtime endpoint LocalStack handed us.
    request = urllib.request.Request(  # noqa: S310
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    # LocalStack is on loopback; proxies from the environment must not apply.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        response.read()


def error_payload(error: BaseException) -> dict[str, Any]:
    """The JSON body Lambda reports for an unhandled exception."""
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__)),
    }


class LambdaContext:
    """The ``context`` argument a Python Lambda handler receives."""

    def __init__(self, request_id: str, invoked_arn: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


class _Tee(io.TextIOBase):
    """Writes to the process's stream and keeps a copy for the invocation's log."""

    def __init__(self, stream: Any, copy: io.StringIO) -> None:
        self._stream = stream
        self._copy = copy

    def write(self, text: str) -> int:
        self._copy.write(text)
        self._stream.write(text)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


def load_handler(spec: str) -> Any:
    """``module.attr`` (``app.app`` for Chalice) → the handler callable."""
    module_name, _, attr = spec.rpartition(".")
    return getattr(importlib.import_module(module_name.replace("/", ".")), attr)


def invoke(
    handler: Any, invocation: dict[str, Any], timeout_seconds: float
) -> tuple[bool, bytes, str]:
    """Run one invocation; returns (is_error, payload, logs)."""
    request_id = invocation["invoke-id"]
    log = io.StringIO()
    started = time.time()
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Tee(old_out, log), _Tee(old_err, log)
    try:
        print(f"START RequestId: {request_id} Version: $LATEST")
        arn = invocation["invoked-function-arn"]
        context = LambdaContext(request_id, arn, started + timeout_seconds)
        try:
            result = handler(json.loads(invocation["payload"] or "null"), context)
            is_error, payload = False, json.dumps(result).encode()
        except Exception as error:
            details = error_payload(error)
            details["requestId"] = request_id
            print(f"[ERROR] {details['errorType']}: {details['errorMessage']}")
            is_error, payload = True, json.dumps(details).encode()
        duration_ms = (time.time() - started) * 1000
        print(f"END RequestId: {request_id}")
        print(f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms")
    finally:
        sys.stdout.flush()
        sys.stdout, sys.stderr = old_out, old_err
    return is_error, payload, log.getvalue()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(0)


def main() -> None:
    env = os.environ
    endpoint = env["LOCALSTACK_RUNTIME_ENDPOINT"]
    runtime_id = env["LOCALSTACK_RUNTIME_ID"]
    port = int(env["IDENTIDOCK_INVOKE_PORT"])
    timeout_seconds = float(env.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    task_root = env.get("LAMBDA_TASK_ROOT", os.getcwd())
    extra_paths = [p for p in env.get("IDENTIDOCK_RUNTIME_PATH", "").split(os.pathsep) if p]
    sys.path[:0] = [task_root, *extra_paths]
    try:
        handler = load_handler(env["_HANDLER"])
    except Exception as error:
        traceback.print_exc()
        body = error_payload(error)
        body["errorType"] = f"Runtime.ImportModuleError: {body['errorType']}"
        _post(f"{endpoint}/status/{runtime_id}/error", json.dumps(body).encode())
        sys.exit(1)

    invocations: queue.Queue[dict[str, Any]] = queue.Queue()

    class InvokeHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path != "/invoke":
                self.send_error(404)
                return
            invocations.put(body)
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep HTTP access lines out of the function's log."""

    server = ThreadingHTTPServer(("127.0.0.1", port), InvokeHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _post(f"{endpoint}/status/{runtime_id}/ready", b"{}")

    # The handler runs on the main thread, one invocation at a time, as in Lambda.
    while True:
        invocation = invocations.get()
        request_id = invocation.get("invoke-id") or str(uuid.uuid4())
        is_error, payload, logs = invoke(handler, invocation, timeout_seconds)
        base = f"{endpoint}/invocations/{request_id}"
        _post(f"{base}/logs", json.dumps({"logs": logs}).encode())
        _post(f"{base}/error" if is_error else f"{base}/response", payload)


if __name__ == "__main__":
    main()
