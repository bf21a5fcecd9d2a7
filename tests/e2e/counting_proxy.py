"""A loopback HTTP proxy in front of dnmonster that records each monster name it forwards.

dnmonster keeps no access log, so the e2e suite puts this between the Lambda and dnmonster to see
exactly which names arrive (after API Gateway's and the function's decoding) and how often. When
dnmonster is down the proxy drops the connection, so the function meets a refused dependency.
"""

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import requests


class CountingProxy:
    def __init__(self, backend_url: str) -> None:
        self.backend_url = backend_url.rstrip("/")
        self.names: Counter[str] = Counter()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path.startswith("/monster/"):
                    with proxy._lock:
                        proxy.names[unquote(path.removeprefix("/monster/"))] += 1
                try:
                    upstream = requests.get(proxy.backend_url + self.path, timeout=10)
                except requests.ConnectionError:
                    self.close_connection = True  # dnmonster is down: so is its "address"
                    return
                self.send_response(upstream.status_code)
                for header in ("Content-Type", "Cache-Control", "ETag"):
                    if header in upstream.headers:
                        self.send_header(header, upstream.headers[header])
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the counter is the log."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "CountingProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count(self, name: str) -> int:
        with self._lock:
            return self.names[name]
