"""HTTP(S) client for the control plane's task API (standard library only), over TCP or a unix socket.

The control plane is trusted to decide, not to behave: whatever it (or
anything impersonating it) sends, a call returns or raises within its
deadline, with an answer of bounded size, so the runtime's loop never stalls.

- One deadline per request (`timeout_s`) covers name resolution, connecting,
  the TLS handshake, sending, the status line, the headers and the body. The
  sockets re-arm their timeout to "time left" before every send and receive,
  so a server trickling a byte a second is cut off at the deadline, not per
  read as plain socket timeouts (and urllib) would allow.
- Answers are capped at the contract's maxMessageBytes (a larger
  Content-Length is refused before reading), parsed with `parse_message` and
  must be JSON objects. Error bodies are read up to 512 bytes, for the message.
- https checks the certificate and the host name (an IP address in the URL
  must match an IP SAN) against `ca_file` when given, else the system store.
- Redirects are never followed: the token would travel to wherever they point.
- Error messages (which the runtime logs) name the method, path and cause,
  never a header; the token is scrubbed from anything the server echoes.

Connections are kept alive, one per thread (the main loop and the heartbeat
thread call concurrently; an http.client connection is not thread-safe). A
reused connection the server has closed is noticed before sending when
possible; if it is only noticed after sending (no answer at all), a GET is
sent once more on a new connection, within the same deadline. A POST is never
resent by this client: the failure is raised as ControlPlaneUnavailable and
the caller decides. The runtime keeps an undelivered result in its outbox and
sends it again later; the control plane answers an identical repeat with an
idempotent 200, so that retry is safe, and it is visible in the logs instead
of hidden in here.
"""

from __future__ import annotations

import http.client
import ipaddress
import random
import re
import select
import socket
import ssl
import threading
import time
import weakref
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from .contract_schema import LIMITS, ContractViolation, check_tree, encode_message, parse_answer
from .results import fit_result

ERROR_BODY_BYTES = 512  # of a 4xx/5xx answer, kept for the error message
_READ_CHUNK = 65536
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


class ControlPlaneError(Exception):
    """The control plane could not give a usable answer."""


class ControlPlaneUnavailable(ControlPlaneError):
    """Not reachable, timed out, or a 5xx: worth retrying."""


class ControlPlaneRejected(ControlPlaneError):
    """A 4xx: the request itself is wrong; retrying will not help. `status` is the HTTP status (None: refused before sending)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class MalformedResponse(ControlPlaneError):
    """An answer that is not the JSON object the contract promises (or is too large, or not HTTP).

    `answer` is the JSON object when the answer was one and only values in it
    break the wire rules (a lone surrogate, a duplicate key, a number out of
    range, nesting too deep), with those values as `parse_answer` leaves them:
    the runtime then rejects the action that holds them instead of losing it.
    """

    def __init__(self, message: str, answer: dict[str, Any] | None = None):
        super().__init__(message)
        self.answer = answer


class _Deadline:
    """The instant the current request must be over by, shared by a connection and its socket."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at: float | None = None

    def left(self) -> float | None:
        """Seconds left (None: no request in progress); raises TimeoutError once it has passed."""
        if self.at is None:
            return None
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left


class _DeadlineMixin:
    """Sets the socket timeout to the time left before every blocking call, turning per-call timeouts into one deadline.

    http.client reads through socket.makefile(), which calls recv_into; TLS
    sockets implement recv/recv_into through read and sendall through send,
    and run their handshake in do_handshake. Each of those re-arms first. In
    CPython 3.11 one call with a timeout (including SSL's retry loops) never
    outlasts that timeout, so no call outlasts the deadline.
    """

    _deadline = _Deadline()  # replaced per socket; this default never expires

    def _arm(self) -> None:
        left = self._deadline.left()
        if left is not None:
            self.settimeout(left)  # type: ignore[attr-defined]

    def recv(self, *args: Any) -> Any:
        self._arm()
        return super().recv(*args)  # type: ignore[misc]

    def recv_into(self, *args: Any) -> Any:
        self._arm()
        return super().recv_into(*args)  # type: ignore[misc]

    def send(self, *args: Any) -> Any:
        self._arm()
        return super().send(*args)  # type: ignore[misc]

    def sendall(self, *args: Any) -> Any:
        self._arm()
        return super().sendall(*args)  # type: ignore[misc]


class _DeadlineSocket(_DeadlineMixin, socket.socket):
    pass


class _DeadlineSSLSocket(_DeadlineMixin, ssl.SSLSocket):
    def read(self, *args: Any) -> Any:
        self._arm()
        return super().read(*args)

    def write(self, *args: Any) -> Any:
        self._arm()
        return super().write(*args)

    def do_handshake(self, *args: Any) -> Any:
        self._arm()
        return super().do_handshake(*args)


def _resolve(host: str, port: int, deadline: _Deadline) -> list[Any]:
    """getaddrinfo within the deadline. It cannot be interrupted, so a slow lookup runs on in a daemon thread, abandoned."""
    try:
        ipaddress.ip_address(host)
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except ValueError:
        pass
    answer: dict[str, Any] = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            answer["error"] = error
        finally:
            done.set()

    threading.Thread(target=lookup, name="control-plane-dns", daemon=True).start()
    if not done.wait(deadline.left()):
        raise TimeoutError(f"resolving {host} took too long")
    if "error" in answer:
        raise answer["error"]
    return answer["infos"]


def _open_socket(host: str, port: int, deadline: _Deadline) -> _DeadlineSocket:
    last_error: OSError = OSError(f"{host} has no address")
    for family, kind, proto, _name, address in _resolve(host, port, deadline):
        sock = _DeadlineSocket(family, kind, proto)
        sock._deadline = deadline
        try:
            sock._arm()
            sock.connect(address)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except OSError as error:
            sock.close()
            last_error = error
            if isinstance(error, TimeoutError):
                break
    raise last_error


def _open_unix_socket(path: str, deadline: _Deadline) -> _DeadlineSocket:
    """A stream socket to the control plane's unix socket (mounted into a container that has no network)."""
    sock = _DeadlineSocket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock._deadline = deadline
    try:
        sock._arm()
        sock.connect(path)
    except BaseException:
        sock.close()
        raise
    return sock


class _Response(http.client.HTTPResponse):
    def _read_next_chunk_size(self) -> int:
        """http.client takes a negative chunk size ("-1") as "read to the end of the stream", unbounded: refuse it."""
        size = super()._read_next_chunk_size()
        if size < 0:
            self._close_conn()
            raise ValueError("negative chunk size")  # http.client turns it into IncompleteRead
        return size


class _Connection(http.client.HTTPConnection):
    """An HTTP/1.1 connection whose socket obeys `self.deadline`, wrapped in TLS when a context is given."""

    response_class = _Response

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None, unix_path: str | None = None):
        super().__init__(host, port)
        self.tls = tls
        self.unix_path = unix_path
        self.deadline = _Deadline()
        self.answered = 0  # answers read on the current socket: > 0 means the socket is a reused keep-alive one

    def connect(self) -> None:
        sock: socket.socket = _open_unix_socket(self.unix_path, self.deadline) if self.unix_path else _open_socket(self.host, self.port, self.deadline)
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(sock, server_hostname=self.host, do_handshake_on_connect=False)
                sock._deadline = self.deadline  # type: ignore[attr-defined]
                sock.do_handshake()
            except BaseException:
                sock.close()
                raise
        self.sock = sock
        self.answered = 0

    def __del__(self) -> None:
        # A thread's connection is collected with its thread-local storage when the thread ends: close its socket too.
        try:
            self.close()
        except Exception:
            pass

    def looks_closed(self) -> bool:
        """True when an idle keep-alive socket has something to read: the server closed it (or broke protocol)."""
        if self.sock is None:
            return False
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        try:
            poller = select.poll()
            poller.register(self.sock, select.POLLIN | select.POLLPRI)
            return bool(poller.poll(0))
        except (OSError, ValueError):
            return True


class ControlPlaneClient:
    def __init__(self, base_url: str, task_id: str, token: str | None, timeout_s: float, ca_file: str | None = None):
        parts = urlsplit(base_url)
        # unix:///path/to.sock: HTTP over that socket, the API at its root (the path names the socket, not a prefix).
        self._unix_path = parts.path if parts.scheme == "unix" and not parts.netloc and parts.path.startswith("/") else None
        if self._unix_path is None and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ValueError(f"control plane URL {base_url!r} is not an http(s) URL with a host or a unix:// socket path")
        if ca_file and parts.scheme != "https":
            raise ValueError("a CA file is only used with an https control plane URL")
        self.base_url = base_url
        self.task_path = f"/v1/tasks/{quote(task_id, safe='')}"
        self.timeout_s = timeout_s  # read at every request: the runtime shortens it while stopping
        self._prefix = "" if self._unix_path else parts.path.rstrip("/")
        self._host = "localhost" if self._unix_path else parts.hostname
        self._port = 80 if self._unix_path else parts.port or (443 if parts.scheme == "https" else 80)  # ValueError for an invalid port
        self._token = token
        self._tls = _tls_context(ca_file) if parts.scheme == "https" else None
        self._local = threading.local()
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._connections_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ControlPlaneClient({self.base_url!r}, task_path={self.task_path!r})"

    # -- the contract's calls ------------------------------------------------
    def register(self, agent: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/register", {"agent": agent})

    def policy(self) -> dict[str, Any]:
        return self.request("GET", "/policy")

    def next_action(self) -> dict[str, Any]:
        return self.request("GET", "/actions/next")

    def report(self, result: dict[str, Any]) -> dict[str, Any]:
        """Sends a result, first cut to the contract's message size (fit_result) so it is never refused for its size."""
        fitted = fit_result(result, LIMITS["maxMessageBytes"])
        return self.request("POST", f"/actions/{quote(str(fitted['action_id']), safe='')}/result", fitted)

    def heartbeat(self, beat: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/heartbeat", beat)

    def close(self) -> None:
        """Closes every thread's connection (at shutdown)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            connection.close()

    # -- one request -----------------------------------------------------------
    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """Sends one request and returns the answer's JSON object, within `timeout_s` in all."""
        what = f"{method} {path}"
        data = None if body is None else encode_message(body)
        if data is not None and len(data) > LIMITS["maxMessageBytes"]:
            raise ControlPlaneRejected(f"{what}: body of {len(data)} bytes is over the contract's {LIMITS['maxMessageBytes']}; not sent")
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        connection = self._connection()
        connection.deadline.at = time.monotonic() + self.timeout_s
        try:
            return self._exchange(connection, method, self._prefix + self.task_path + path, data, headers, what)
        except Exception as error:
            connection.close()  # after a failure the connection's state is unknown: it is never reused
            if isinstance(error, ControlPlaneError):
                raise
            translated = self._translate(error, what)
            if translated is None:  # not a network or protocol failure: a bug, raised as is
                raise
            raise translated from None
        finally:
            connection.deadline.at = None

    def _translate(self, error: Exception, what: str) -> ControlPlaneError | None:
        """The ControlPlaneError for a failure of the network, TLS or HTTP; messages name no header and no token."""
        if isinstance(error, TimeoutError):
            return ControlPlaneUnavailable(f"{what}: no complete answer within {self.timeout_s:g}s")
        if isinstance(error, ssl.SSLCertVerificationError):
            return ControlPlaneUnavailable(f"{what}: TLS certificate refused: {self._scrub(str(error.verify_message or error))}")
        if isinstance(error, ssl.SSLError):
            return ControlPlaneUnavailable(f"{what}: TLS failed: {self._scrub(str(error.reason or error))}")
        if isinstance(error, (http.client.IncompleteRead, *_STALE)):
            return ControlPlaneUnavailable(f"{what}: connection lost before a complete answer ({type(error).__name__})")
        if isinstance(error, http.client.HTTPException):  # not HTTP: bad status line, header lines too long or too many
            return MalformedResponse(f"{what}: answer is not valid HTTP ({type(error).__name__}: {self._scrub(_one_line(str(error), 120))})")
        if isinstance(error, OSError):
            return ControlPlaneUnavailable(f"{what}: {self._scrub(str(error.strerror or error))}")
        return None

    def _exchange(self, connection: _Connection, method: str, target: str, data: bytes | None, headers: dict[str, str], what: str) -> dict[str, Any]:
        if connection.answered and connection.looks_closed():
            connection.close()
        reused = connection.sock is not None
        try:
            connection.request(method, target, body=data, headers=headers)
            response = connection.getresponse()
        except _STALE:
            # Nothing came back. On a fresh connection that is a failure; on a reused one the server most likely closed
            # it idle while the request was on its way, so an idempotent GET is worth one more try.
            if not (reused and method == "GET"):
                raise
            connection.close()
            connection.request(method, target, body=data, headers=headers)
            response = connection.getresponse()
        connection.answered += 1
        try:
            status = response.status
            if 200 <= status < 300:
                return self._answer(response, what)
            detail = self._error_body(response)
            if 400 <= status < 500:
                raise ControlPlaneRejected(f"{what}: HTTP {status}{detail}", status)
            if status >= 500:
                raise ControlPlaneUnavailable(f"{what}: HTTP {status}{detail}")
            raise MalformedResponse(f"{what}: unexpected HTTP {status} (redirects are not followed){detail}")
        finally:
            response.close()  # an answer left unread is never reused: every error closes the connection too

    def _answer(self, response: http.client.HTTPResponse, what: str) -> dict[str, Any]:
        cap = LIMITS["maxMessageBytes"]
        if response.length is not None and response.length > cap:
            raise MalformedResponse(f"{what}: answer of {response.length} bytes is over the contract's {cap}")
        chunks, size = [], 0
        while True:
            chunk = response.read(min(_READ_CHUNK, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                raise MalformedResponse(f"{what}: answer is over the contract's {cap} bytes")
        try:
            answer = parse_answer(b"".join(chunks))
        except ContractViolation as violation:
            raise MalformedResponse(f"{what}: {self._scrub(str(violation))}") from None
        if not isinstance(answer, dict):
            raise MalformedResponse(f"{what}: answer is not a JSON object")
        try:
            check_tree(answer)
        except ContractViolation as violation:
            # A JSON object whose values break the wire rules: refused, but handed on, so that the part holding them
            # (an action) can be refused on its own, with the reason.
            raise MalformedResponse(f"{what}: {self._scrub(str(violation))}", answer) from None
        return answer

    def _error_body(self, response: http.client.HTTPResponse) -> str:
        """The start of an error answer, as one short line (the connection is closed afterwards: the rest is unread)."""
        try:
            raw = response.read(ERROR_BODY_BYTES)
        except (OSError, http.client.HTTPException):
            return ""
        text = _one_line(self._scrub(raw.decode("utf-8", "replace")), 200)
        return f": {text}" if text else ""

    # -- helpers -------------------------------------------------------------------
    def _connection(self) -> _Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = _Connection(self._host, self._port, self._tls, self._unix_path)
            self._local.connection = connection
            with self._connections_lock:
                self._connections.add(connection)
        return connection

    def _scrub(self, message: str) -> str:
        """An error message with the token removed, should the server have echoed it."""
        return message.replace(self._token, "[REDACTED]") if self._token else message


def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Certificate and host name checked (IP SANs for IP addresses), TLS 1.2 or later, sockets that obey the deadline."""
    try:
        context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    except (OSError, ssl.SSLError) as error:
        raise ValueError(f"CA file {ca_file!r} cannot be used: {error}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.sslsocket_class = _DeadlineSSLSocket
    return context


def _one_line(text: str, limit: int) -> str:
    text = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def backoff_delays(base_s: float, cap_s: float, rng: Callable[[], float] = random.random):
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**n)]."""
    attempt = 0
    while True:
        yield rng() * min(cap_s, base_s * (2**attempt))
        attempt += 1


def with_retries(call: Callable[[], Any], attempts: int, base_s: float, cap_s: float, should_stop: Callable[[], bool] = lambda: False, sleep: Callable[[float], None] = time.sleep):
    """Calls `call`, retrying ControlPlaneUnavailable and MalformedResponse with jittered backoff; re-raises the last error."""
    delays = backoff_delays(base_s, cap_s)
    for attempt in range(attempts):
        try:
            return call()
        except (ControlPlaneUnavailable, MalformedResponse):
            if attempt == attempts - 1 or should_stop():
                raise
            sleep(next(delays))
    raise AssertionError("unreachable")
