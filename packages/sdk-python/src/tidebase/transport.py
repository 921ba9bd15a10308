"""JSON over HTTP with the standard library: bearer auth, keep-alive per thread, and retries of transient failures.

A request that fails to connect, loses its connection or meets a 502/503/504 is retried with
jittered backoff for `retry_for_s` (a server restart mid-run does not fail the run): every write
the SDK sends is idempotent or fenced by its lease, so sending one twice is safe.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import threading
import time
import urllib.parse
import weakref
from typing import Any, Dict, Generator, List, Mapping, Optional

from ._version import __version__
from .errors import TidebaseError, TidebaseRequestError, error_from_response

DEFAULT_URL = "http://localhost:7373"
RETRIED_STATUSES = frozenset({502, 503, 504})
#: Kept-alive connections kept idle per client; more in use at once are opened and closed as needed.
MAX_IDLE = 16
_NO_BODY: Any = object()


def _env_ms(name: str, default_s: float) -> float:
    raw = os.environ.get(name)
    try:
        return int(raw) / 1000 if raw else default_s
    except ValueError:
        return default_s


class Aborted(TidebaseRequestError):
    """The request's connection was aborted from another thread (a worker stopping)."""


class Connection:
    """One HTTP connection that another thread may abort (to end a long poll at once)."""

    def __init__(self, transport: "Transport") -> None:
        self._transport = transport
        self._conn: Optional[http.client.HTTPConnection] = None
        self.aborted = False
        self._lock = threading.Lock()

    def get(self, timeout: float) -> http.client.HTTPConnection:
        with self._lock:
            if self.aborted:
                raise Aborted("aborted")
            if self._conn is None:
                self._conn = self._transport.new_connection(timeout)
            self._conn.timeout = timeout
            if self._conn.sock is not None:
                self._conn.sock.settimeout(timeout)
            return self._conn

    def reset(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn = None

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
            conn = self._conn
        sock = conn.sock if conn is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Transport:
    def __init__(
        self,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
        retry_for_s: Optional[float] = None,
        timeout_s: Optional[float] = None,
    ) -> None:
        self.url = (url or os.environ.get("TIDEBASE_URL") or DEFAULT_URL).rstrip("/")
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"TIDEBASE_URL (or url=) must be an http(s) URL, not {self.url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self.api_key = api_key if api_key is not None else (os.environ.get("TIDEBASE_API_KEY") or None)
        self.retry_for_s = retry_for_s if retry_for_s is not None else _env_ms("TIDEBASE_RETRY_TRANSPORT_FOR_MS", 30.0)
        self.timeout_s = timeout_s if timeout_s is not None else _env_ms("TIDEBASE_REQUEST_TIMEOUT_MS", 60.0)
        self._idle: List[Connection] = []
        self._lock = threading.Lock()
        # Idle connections are closed when the transport goes (or the interpreter exits), never left to the GC.
        weakref.finalize(self, _close_all, self._idle)

    def new_connection(self, timeout: float) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=timeout)
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout)

    def _acquire(self) -> Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return Connection(self)

    def _give_back(self, conn: Connection) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append(conn)
                return
        conn.reset()

    def close(self) -> None:
        """Closes the kept-alive connections; a later request opens a new one."""
        _close_all(self._idle)

    def headers(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        out = {"accept": "application/json", "user-agent": f"tidebase-python/{__version__}"}
        if self.api_key:
            out["authorization"] = f"Bearer {self.api_key}"
        out.update(extra or {})
        return out

    def target(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        params = {k: _query_value(v) for k, v in (query or {}).items() if v is not None}
        return self._prefix + path + ("?" + urllib.parse.urlencode(params) if params else "")

    def request(
        self,
        method: str,
        path: str,
        body: Any = _NO_BODY,
        *,
        query: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout_s: Optional[float] = None,
        run_id: Optional[str] = None,
        connection: Optional[Connection] = None,
    ) -> Any:
        """Sends one JSON request and answers the parsed body; a non-2xx answer raises its TidebaseError."""
        data = None if body is _NO_BODY else json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
        all_headers = self.headers(headers)
        if data is not None:
            all_headers["content-type"] = "application/json"
        target = self.target(path, query)
        where = f"{method} {path}"
        conn = connection or self._acquire()
        try:
            return self._exchange(conn, method, target, data, all_headers, timeout_s or self.timeout_s, run_id, where)
        finally:
            if connection is None:
                self._give_back(conn)

    def _exchange(
        self, conn: Connection, method: str, target: str, data: Optional[bytes], all_headers: Dict[str, str], timeout: float, run_id: Optional[str], where: str
    ) -> Any:
        started = time.monotonic()
        delay = 0.1
        while True:
            try:
                status, raw = self._send(conn, method, target, data, all_headers, timeout)
            except Aborted:
                raise
            except (OSError, http.client.HTTPException) as error:
                conn.reset()
                if conn.aborted:
                    raise Aborted(f"{where}: aborted") from None
                failure: Optional[BaseException] = error
                status, raw = 0, b""
            else:
                failure = None
            if failure is None and status not in RETRIED_STATUSES:
                return self._answer(status, raw, run_id, where)
            elapsed = time.monotonic() - started
            if elapsed >= self.retry_for_s:
                if failure is None:
                    return self._answer(status, raw, run_id, where)
                raise TidebaseRequestError(self._unreachable(where, failure, elapsed)) from failure
            time.sleep(min(delay, max(0.0, self.retry_for_s - elapsed)) * random.uniform(0.8, 1.2))
            delay = min(delay * 2, 1.0)

    def _send(self, conn: Connection, method: str, target: str, data: Optional[bytes], headers: Dict[str, str], timeout: float):
        for attempt in (1, 2):
            http_conn = conn.get(timeout)
            reused = http_conn.sock is not None
            try:
                http_conn.request(method, target, body=data, headers=headers)
                response = http_conn.getresponse()
                raw = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.reset()
                # A kept-alive connection the server closed meanwhile: one fresh try, not a backoff.
                if reused and attempt == 1 and not conn.aborted:
                    continue
                raise
            if response.getheader("connection", "").lower() == "close":
                conn.reset()
            return response.status, raw
        raise AssertionError("unreachable")

    def _answer(self, status: int, raw: bytes, run_id: Optional[str], where: str) -> Any:
        text = raw.decode("utf-8", "replace")
        try:
            body = json.loads(text) if text.strip() else None
        except ValueError:
            body = text
        if 200 <= status < 300:
            if isinstance(body, str):
                raise TidebaseRequestError(
                    f"{where}: the answer is not JSON: is this a Tidebase server? GET {self.url}/health should "
                    f'answer {{"ok":true}}; TIDEBASE_URL (or url=) says where the server is',
                    status=status,
                    body=body,
                )
            return body
        raise error_from_response(status, body, run_id, where)

    def _unreachable(self, where: str, error: BaseException, elapsed: float) -> str:
        retried = f", retried for {elapsed:.1f}s" if elapsed >= 0.05 else ""
        return f"{where}: cannot reach Tidebase at {self.url} ({error!r}{retried}); TIDEBASE_URL (or url=) says where the server is"

    def stream_lines(self, path: str, query: Mapping[str, Any], read_timeout_s: float) -> Generator[str, None, None]:
        """The lines of a streamed answer (Server-Sent Events), on a connection of its own, closed when the iterator is."""
        conn = self.new_connection(read_timeout_s)
        try:
            conn.request("GET", self.target(path, query), headers=self.headers({"accept": "text/event-stream"}))
            response = conn.getresponse()
            if response.status != 200:
                raw = response.read()
                self._answer(response.status, raw, None, f"GET {path}")
                raise TidebaseError(f"GET {path}: unexpected status {response.status}", status=response.status)
            while True:
                line = response.readline()
                if not line:
                    return
                yield line.decode("utf-8", "replace").rstrip("\r\n")
        finally:
            conn.close()


def _close_all(idle: List[Connection]) -> None:
    while idle:
        try:
            idle.pop().reset()
        except IndexError:
            return


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def is_transient(error: BaseException) -> bool:
    return isinstance(error, TidebaseRequestError) and error.status is None


def quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")
