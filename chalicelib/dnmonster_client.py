"""HTTP client for dnmonster (`GET /monster/<name>?size=N` → PNG).

One `requests.Session` per base URL lives at module level, so a warm Lambda keeps its keep-alive
connection. The name is percent-encoded as ONE path segment (a name like `x?size=30000#` cannot
change the request), connect and read timeouts are explicit, and a connection error is retried
once (nothing else is: a read timeout would only double the wait).
"""

from __future__ import annotations

import threading
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from chalicelib.png import is_complete_png


class DnmonsterError(Exception):
    """dnmonster could not give us a monster; `status` is what our client is told."""

    status = 502
    message = "The monster service gave a bad answer."


class DnmonsterUnavailable(DnmonsterError):
    status = 503
    message = "The monster service is not reachable right now. Try again shortly."


class DnmonsterTimeout(DnmonsterError):
    status = 504
    message = "The monster service took too long to answer."


class DnmonsterBadAnswer(DnmonsterError):
    status = 502


class DnmonsterClient:
    def __init__(self, base_url: str, connect_timeout: float, read_timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        # read=False re-raises a read timeout as itself (504), not as a retry-exhausted error (503).
        retry = Retry(
            total=1, connect=1, read=False, status=0, other=0, redirect=0, backoff_factor=0
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=1, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def monster_url(self, name: str, size: int) -> str:
        return f"{self.base_url}/monster/{quote(name, safe='')}?size={size}"

    def fetch(self, name: str, size: int) -> bytes:
        """The PNG for name at size; raises a DnmonsterError subclass on any failure."""
        try:
            answer = self.session.get(
                self.monster_url(name, size),
                timeout=self.timeout,
                headers={"Accept": "image/png"},
                allow_redirects=False,
            )
            body = answer.content
        except requests.ReadTimeout as error:
            raise DnmonsterTimeout(str(error)) from error
        except requests.ConnectionError as error:  # includes ConnectTimeout
            raise DnmonsterUnavailable(str(error)) from error
        except requests.RequestException as error:  # truncated chunked body, bad encoding, ...
            raise DnmonsterBadAnswer(str(error)) from error
        content_type = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if answer.status_code != 200:
            raise DnmonsterBadAnswer(f"status {answer.status_code}")
        if content_type != "image/png":
            raise DnmonsterBadAnswer(f"content type {content_type!r}")
        if not is_complete_png(body):
            raise DnmonsterBadAnswer("body is not a complete PNG")
        return body


_clients: dict[tuple[str, float, float], DnmonsterClient] = {}
_lock = threading.Lock()


def get_client(base_url: str, connect_timeout: float, read_timeout: float) -> DnmonsterClient:
    """The module-level client for these settings (created on first use, then reused)."""
    key = (base_url, connect_timeout, read_timeout)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = DnmonsterClient(base_url, connect_timeout, read_timeout)
        return client
