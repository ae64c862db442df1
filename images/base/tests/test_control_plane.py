"""The control-plane client against real loopback servers that misbehave on purpose.

Each server is a thread with raw sockets, so it can do what no well-behaved
HTTP server would: trickle bytes, never answer, lie about lengths, send
garbage. Every call must come back within its deadline plus a small margin.
"""

import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
from typing import Any, Callable
from unittest import mock

from agent.contract_schema import LIMITS, validate
from agent.control_plane import ControlPlaneClient, ControlPlaneError, ControlPlaneRejected, ControlPlaneUnavailable, MalformedResponse

TIMEOUT = 0.8  # the client's deadline in the deadline tests
MARGIN = 0.7  # what a loaded machine may add on top
QUICK = 1.0  # "refused before reading": well below the 5 s deadline those tests give
TOKEN = "tok-SECRET-0123456789"
CAP = LIMITS["maxMessageBytes"]


class RawServer:
    """A loopback TCP server; every connection is handled by `behaviour(conn, server)` on a thread of its own."""

    def __init__(self, behaviour: Callable[[socket.socket, "RawServer"], None], tls: ssl.SSLContext | None = None, small_receive_buffer: bool = False, unix: bool = False):
        self.behaviour = behaviour
        self.tls = tls
        self.listener = socket.socket(socket.AF_UNIX if unix else socket.AF_INET, socket.SOCK_STREAM)
        if not unix:
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if small_receive_buffer:  # so a client sending a large body blocks instead of filling kernel buffers
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        if unix:
            # The hardened profile's transport: the control plane's socket mounted into a container without a network.
            self.socket_dir = tempfile.mkdtemp()
            self.listener.bind(os.path.join(self.socket_dir, "control-plane.sock"))
        else:
            self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        if unix:
            self.port = 0
            self.url = f"unix://{self.socket_dir}/control-plane.sock"
        else:
            self.port = self.listener.getsockname()[1]
            self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.stopping = threading.Event()
        self.accepted = 0
        self.requests: list[dict[str, Any]] = []
        self.sent = 0
        self.lock = threading.Lock()
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "RawServer":
        self.thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.stopping.set()
        self.thread.join(2)
        self.listener.close()
        with self.lock:
            for conn in self.connections:
                try:
                    conn.close()
                except OSError:
                    pass

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self.connections.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn.settimeout(5)
                conn = self.tls.wrap_socket(conn, server_side=True)
                with self.lock:
                    self.connections.append(conn)
            conn.settimeout(10)
            self.behaviour(conn, self)
        except (OSError, ValueError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    # -- helpers for behaviours ------------------------------------------------
    def read_request(self, conn: socket.socket) -> dict[str, Any] | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
        request = {"method": method, "path": path, "headers": headers, "body": body}
        with self.lock:
            self.requests.append(request)
        return request

    def wait(self, seconds: float = 30) -> None:
        self.stopping.wait(seconds)

    def trickle(self, conn: socket.socket, data: bytes, interval: float = 0.05) -> None:
        for index in range(len(data)):
            if self.stopping.is_set():
                return
            conn.sendall(data[index : index + 1])
            time.sleep(interval)


def respond(conn: socket.socket, status: int = 200, body: bytes = b"{}", headers: dict[str, str] | None = None) -> None:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    length = "" if headers and ("Transfer-Encoding" in headers or "Content-Length" in headers) else f"Content-Length: {len(body)}\r\n"
    conn.sendall(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{length}{extra}\r\n".encode() + body)


def json_server(conn: socket.socket, server: RawServer) -> None:
    """A well-behaved keep-alive server: answers every request with {"path": ..., "method": ...}."""
    while True:
        request = server.read_request(conn)
        if request is None:
            return
        respond(conn, 200, json.dumps({"path": request["path"], "method": request["method"]}).encode())


class ClientTestCase(unittest.TestCase):
    def client(self, *args: Any, **kwargs: Any) -> ControlPlaneClient:
        client = ControlPlaneClient(*args, **kwargs)
        self.addCleanup(client.close)
        return client


class DeadlineTestCase(ClientTestCase):
    def assertWithinDeadline(self, call: Callable[[], Any], error: type[Exception] = ControlPlaneUnavailable, timeout: float = TIMEOUT) -> Exception:
        started = time.monotonic()
        with self.assertRaises(error) as caught:
            call()
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, timeout + MARGIN, f"took {elapsed:.2f}s for a {timeout}s deadline")
        return caught.exception


class SlowServerTest(DeadlineTestCase):
    """Servers that answer too slowly, in every phase of a request: one deadline covers all of it."""

    def behaviours(self) -> dict[str, Callable[[socket.socket, RawServer], None]]:
        def silent(conn: socket.socket, server: RawServer) -> None:
            server.read_request(conn)
            server.wait()

        def never_reads(_conn: socket.socket, server: RawServer) -> None:
            server.wait()

        def status_line_trickle(conn: socket.socket, server: RawServer) -> None:
            server.read_request(conn)
            server.trickle(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" * 4)

        def headers_forever(conn: socket.socket, server: RawServer) -> None:
            server.read_request(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for index in range(80):  # fewer than http.client's 100-header limit: only the deadline can stop it
                if server.stopping.is_set():
                    return
                conn.sendall(f"X-Pad-{index}: 1\r\n".encode())
                time.sleep(0.05)

        def continue_forever(conn: socket.socket, server: RawServer) -> None:
            server.read_request(conn)
            for _ in range(80):
                if server.stopping.is_set():
                    return
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                time.sleep(0.05)

        def chunked_body_forever(conn: socket.socket, server: RawServer) -> None:
            server.read_request(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n")
            for _ in range(80):
                if server.stopping.is_set():
                    return
                conn.sendall(b"1\r\n \r\n")
                time.sleep(0.05)

        def close_delimited_body_trickle(conn: socket.socket, server: RawServer) -> None:
            server.read_request(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{")
            server.trickle(conn, b" " * 80)

        def content_length_body_trickle(conn: socket.socket, server: RawServer) -> None:
            server.read_request(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 82\r\n\r\n{")
            server.trickle(conn, b" " * 80 + b"}")

        return {
            "silent after the request": silent,
            "never reads the request": never_reads,
            "status line a byte at a time": status_line_trickle,
            "headers forever, slowly": headers_forever,
            "100 Continue forever": continue_forever,
            "chunked body forever": chunked_body_forever,
            "close-delimited body a byte at a time": close_delimited_body_trickle,
            "Content-Length body a byte at a time": content_length_body_trickle,
        }

    def test_every_phase_is_cut_off_at_one_deadline(self) -> None:
        for name, behaviour in self.behaviours().items():
            # Over a unix socket the same deadline code runs on another kind of socket: one server that stalls and one
            # that trickles are proof enough, and each case here is a timed one on a possibly loaded machine.
            unix_too = name in ("silent after the request", "Content-Length body a byte at a time")
            for method, unix in (("GET", False), ("POST", False)) + ((("GET", True),) if unix_too else ()):
                with self.subTest(name, method=method, unix=unix), RawServer(behaviour, unix=unix) as server:
                    client = self.client(server.url, "t", TOKEN, TIMEOUT)
                    error = self.assertWithinDeadline(lambda: client.request(method, "/x", None if method == "GET" else {"state": "idle"}))
                    self.assertIn("within", str(error))

    def test_a_large_body_the_server_never_reads_is_cut_off(self) -> None:
        with RawServer(lambda conn, server: server.wait(), small_receive_buffer=True) as server:
            client = self.client(server.url, "t", TOKEN, TIMEOUT)
            self.assertWithinDeadline(lambda: client.request("POST", "/heartbeat", {"pad": "x" * (CAP - 100)}))

    def test_a_tls_handshake_that_never_completes_is_cut_off(self) -> None:
        for name, behaviour in {
            "server silent": lambda conn, server: server.wait(),
            "server reads the hello and stays silent": lambda conn, server: (conn.recv(65536), server.wait()),
            "server trickles garbage": lambda conn, server: server.trickle(conn, b"\x16\x03\x01" + b"\x00" * 80),
        }.items():
            with self.subTest(name), RawServer(behaviour) as server:
                client = self.client(server.url.replace("http://", "https://"), "t", TOKEN, TIMEOUT)
                self.assertWithinDeadline(client.policy)

    def test_a_name_that_never_resolves_is_cut_off(self) -> None:
        released = threading.Event()

        def slow_lookup(*_args: Any, **_kwargs: Any) -> Any:
            released.wait(5)
            raise socket.gaierror("too late")

        with mock.patch("socket.getaddrinfo", slow_lookup):
            client = self.client("http://control-plane.invalid:8000", "t", TOKEN, TIMEOUT)
            try:
                self.assertWithinDeadline(client.next_action)
            finally:
                released.set()

    def test_the_deadline_is_read_at_every_request(self) -> None:
        with RawServer(lambda conn, server: (server.read_request(conn), server.wait())) as server:
            client = self.client(server.url, "t", TOKEN, 30)
            client.timeout_s = 0.3  # what the runtime does while stopping
            self.assertWithinDeadline(client.next_action, timeout=0.3)


class OversizedAnswerTest(DeadlineTestCase):
    """Answers over the contract's maxMessageBytes are refused, without reading (much) past the cap."""

    def test_too_large_answers_are_refused(self) -> None:
        def announced_too_large(conn: socket.socket, server: RawServer) -> None:
            server.read_request(conn)
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {CAP + 1}\r\n\r\n{{".encode())
            server.wait()  # the body never comes: only refusing before reading returns quickly

        def stream(conn: socket.socket, server: RawServer, head: bytes, piece: bytes) -> None:
            server.read_request(conn)
            conn.sendall(head)
            while not server.stopping.is_set():
                conn.sendall(piece)
                server.sent += len(piece)

        filler = b" " * 65536
        rows: dict[str, Callable[[socket.socket, RawServer], None]] = {
            "Content-Length over the cap": announced_too_large,
            "chunked body over the cap": lambda c, s: stream(c, s, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"10000\r\n" + filler + b"\r\n"),
            "close-delimited body over the cap": lambda c, s: stream(c, s, b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", filler),
            "negative chunk size (read-to-end in http.client)": lambda c, s: stream(c, s, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", filler),
        }
        for name, behaviour in rows.items():
            with self.subTest(name), RawServer(behaviour) as server:
                client = self.client(server.url, "t", TOKEN, 5)
                started = time.monotonic()
                with self.assertRaises(ControlPlaneError):
                    client.next_action()
                self.assertLess(time.monotonic() - started, QUICK + 1.5)
                self.assertLess(server.sent, 4 * CAP, "the client kept reading past the cap")

    def test_content_length_over_the_cap_is_refused_before_reading(self) -> None:
        def behaviour(conn: socket.socket, server: RawServer) -> None:
            server.read_request(conn)
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {CAP + 1}\r\n\r\n".encode())
            server.wait()

        with RawServer(behaviour) as server:
            client = self.client(server.url, "t", TOKEN, 5)
            error = self.assertWithinDeadline(client.policy, MalformedResponse, timeout=QUICK)
            self.assertIn("over the contract", str(error))

    def test_an_answer_at_the_cap_is_accepted(self) -> None:
        body = b'{"pad":"' + b"x" * (CAP - 10) + b'"}'
        self.assertEqual(len(body), CAP)
        with RawServer(lambda conn, server: (server.read_request(conn), respond(conn, 200, body))) as server:
            answer = self.client(server.url, "t", TOKEN, 10).next_action()
            self.assertEqual(len(answer["pad"]), CAP - 10)


class MalformedAnswerTest(DeadlineTestCase):
    """Answers that are not a JSON object by the contract's rules are MalformedResponse, at once."""

    BODIES = {
        "not JSON": b"<html>oops</html>",
        "empty": b"",
        "a JSON array": b"[1, 2]",
        "a JSON string": b'"ok"',
        "null": b"null",
        "NaN": b'{"wait_ms": NaN}',
        "Infinity": b'{"wait_ms": Infinity}',
        "-Infinity": b'{"wait_ms": -Infinity}',
        "overflowing float": b'{"wait_ms": 1e400}',
        "integer of 5000 digits": b'{"wait_ms": ' + b"9" * 5000 + b"}",
        "invalid UTF-8": b'{"a": "\xff"}',
        "UTF-16": '{"done": true}'.encode("utf-16"),
        "UTF-8 BOM": b'\xef\xbb\xbf{"done": true}',
        "lone surrogate in a value": b'{"action": {"id": "\\ud800"}}',
        "lone surrogate in a key": b'{"\\udfff": 1}',
        "nesting one level too deep": b"[" * (LIMITS["maxNestingDepth"] + 1) + b"]" * (LIMITS["maxNestingDepth"] + 1),
        "nesting 100000 deep": b'{"a":' * 100000 + b"1" + b"}" * 100000,
        "duplicate keys": b'{"done": true, "done": false}',
        "trailing garbage": b'{"done": true} x',
    }

    def test_bad_bodies(self) -> None:
        for name, body in self.BODIES.items():
            with self.subTest(name), RawServer(lambda conn, server, body=body: (server.read_request(conn), respond(conn, 200, body))) as server:
                client = self.client(server.url, "t", TOKEN, 5)
                error = self.assertWithinDeadline(client.next_action, MalformedResponse, timeout=QUICK)
                self.assertNotIn("\n", str(error))

    def test_not_http(self) -> None:
        rows = {
            "garbage status line": b"HELLO THERE\r\n\r\n",
            "status out of range": b"HTTP/1.1 42 Odd\r\nContent-Length: 2\r\n\r\n{}",
            "unknown protocol": b"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\n{}",
            "more than 100 headers": b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * 150 + b"\r\n{}",
            "header line too long": b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n{}",
            "status line too long": b"HTTP/1.1 200 " + b"O" * 70000 + b"\r\n\r\n{}",
            "redirect (never followed)": b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/steal\r\nContent-Length: 2\r\n\r\n{}",
            "informational status as the answer": b"HTTP/1.1 103 Early Hints\r\n\r\n",
        }
        for name, raw in rows.items():
            with self.subTest(name), RawServer(lambda conn, server, raw=raw: (server.read_request(conn), conn.sendall(raw), server.wait(2))) as server:
                client = self.client(server.url, "t", TOKEN, 5)
                error = self.assertWithinDeadline(client.next_action, MalformedResponse, timeout=QUICK)
                self.assertNotIn("\n", str(error))
                self.assertEqual(len(server.requests), 1)


class StatusTest(ClientTestCase):
    """4xx is ControlPlaneRejected with its status; 5xx is ControlPlaneUnavailable; error bodies are read up to a small cap."""

    def test_statuses(self) -> None:
        rows = [(400, ControlPlaneRejected), (401, ControlPlaneRejected), (404, ControlPlaneRejected), (409, ControlPlaneRejected), (413, ControlPlaneRejected), (500, ControlPlaneUnavailable), (502, ControlPlaneUnavailable), (503, ControlPlaneUnavailable)]
        for status, error in rows:
            with self.subTest(status=status), RawServer(lambda conn, server, status=status: (server.read_request(conn), respond(conn, status, b'{"error": "nope"}'))) as server:
                client = self.client(server.url, "t", TOKEN, 5)
                with self.assertRaises(error) as caught:
                    client.report({"action_id": "a", "status": "failed", "decision": {}, "duration_ms": 1})
                self.assertIn(f"HTTP {status}", str(caught.exception))
                self.assertIn("nope", str(caught.exception))
                if error is ControlPlaneRejected:
                    self.assertEqual(caught.exception.status, status)

    def test_a_huge_error_body_is_not_read_and_not_repeated(self) -> None:
        def behaviour(conn: socket.socket, server: RawServer) -> None:
            server.read_request(conn)
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 100000000\r\n\r\n")
            while not server.stopping.is_set():
                conn.sendall(b"e" * 65536)
                server.sent += 65536

        with RawServer(behaviour) as server:
            client = self.client(server.url, "t", TOKEN, 5)
            started = time.monotonic()
            with self.assertRaises(ControlPlaneRejected) as caught:
                client.policy()
            self.assertLess(time.monotonic() - started, QUICK)
            self.assertLess(len(str(caught.exception)), 300)


class SecretsInErrorsTest(ClientTestCase):
    """Error messages (the runtime logs them) never carry the token, even when the server echoes it."""

    def test_the_token_is_sent(self) -> None:
        with RawServer(json_server) as server:
            self.client(server.url, "t", TOKEN, 5).policy()
            self.assertEqual(server.requests[0]["headers"]["authorization"], f"Bearer {TOKEN}")

    def test_no_error_message_names_the_token(self) -> None:
        def echo(status: int) -> Callable[[socket.socket, RawServer], None]:
            def behaviour(conn: socket.socket, server: RawServer) -> None:
                request = server.read_request(conn)
                respond(conn, status, json.dumps({"error": f"bad token: {request['headers'].get('authorization')}", "headers": request["headers"]}).encode())

            return behaviour

        rows: dict[str, Callable[[socket.socket, RawServer], None]] = {
            "401 echoing the headers": echo(401),
            "503 echoing the headers": echo(503),
            "200 with the token as a duplicate key": lambda c, s: (s.read_request(c), respond(c, 200, f'{{"{TOKEN}": 1, "{TOKEN}": 2}}'.encode())),
            "bad status line with the token": lambda c, s: (s.read_request(c), c.sendall(f"{TOKEN}\r\n\r\n".encode())),
            "timeout": lambda c, s: (s.read_request(c), s.wait()),
            "connection closed": lambda c, s: s.read_request(c),
        }
        for name, behaviour in rows.items():
            with self.subTest(name), RawServer(behaviour) as server:
                client = self.client(server.url, "t", TOKEN, TIMEOUT)
                with self.assertRaises(ControlPlaneError) as caught:
                    client.heartbeat({"state": "idle", "current_action": None, "policy_revision": None})
                for text in (str(caught.exception), repr(caught.exception), repr(client)):
                    self.assertNotIn(TOKEN, text)
                    self.assertNotIn(TOKEN[:8], text)
                self.assertIsNone(caught.exception.__cause__)


class KeepAliveTest(ClientTestCase):
    def test_one_connection_per_thread_reused(self) -> None:
        with RawServer(json_server) as server:
            client = self.client(server.url, "t", TOKEN, 5)
            for _ in range(5):
                self.assertEqual(client.next_action(), {"path": "/v1/tasks/t/actions/next", "method": "GET"})
            self.assertEqual(server.accepted, 1)

    def test_threads_use_their_own_connections_concurrently(self) -> None:
        with RawServer(json_server) as server:
            client = self.client(server.url, "t", TOKEN, 5)
            problems: list[str] = []

            def worker(path: str) -> None:
                for _ in range(30):
                    answer = client.request("POST", path, {"x": 1})
                    if answer["path"] != f"/v1/tasks/t{path}":
                        problems.append(f"{path} got {answer}")

            threads = [threading.Thread(target=worker, args=(f"/p{index}",)) for index in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(20)
            self.assertEqual(problems, [])
            self.assertEqual(server.accepted, 3)
            client.close()

    def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending(self) -> None:
        def answer_once_then_close(conn: socket.socket, server: RawServer) -> None:
            request = server.read_request(conn)
            respond(conn, 200, json.dumps({"path": request["path"]}).encode())  # keep-alive by default, then closed anyway

        with RawServer(answer_once_then_close) as server:
            client = self.client(server.url, "t", TOKEN, 5)
            client.next_action()
            time.sleep(0.2)
            # A POST is never resent; it succeeds only because the closed connection was noticed before sending.
            self.assertEqual(client.report({"action_id": "a", "status": "failed", "decision": {}, "duration_ms": 1}), {"path": "/v1/tasks/t/actions/a/result"})
            self.assertEqual(server.accepted, 2)

    def stale_on_second_request(self, conn: socket.socket, server: RawServer) -> None:
        """Answers the first request of a connection; reads the second and closes without answering (an idle-close race)."""
        first = server.read_request(conn)
        respond(conn, 200, json.dumps({"path": first["path"]}).encode())
        server.read_request(conn)

    def test_a_get_on_a_stale_connection_is_sent_once_more(self) -> None:
        with RawServer(self.stale_on_second_request) as server:
            client = self.client(server.url, "t", TOKEN, 5)
            client.policy()
            self.assertEqual(client.policy(), {"path": "/v1/tasks/t/policy"})
            self.assertEqual([r["method"] for r in server.requests], ["GET", "GET", "GET"])
            self.assertEqual(server.accepted, 2)

    def test_a_post_on_a_stale_connection_is_not_resent(self) -> None:
        with RawServer(self.stale_on_second_request) as server:
            client = self.client(server.url, "t", TOKEN, 5)
            client.policy()
            with self.assertRaises(ControlPlaneUnavailable):
                client.heartbeat({"state": "idle", "current_action": None, "policy_revision": None})
            self.assertEqual([r["method"] for r in server.requests], ["GET", "POST"])
            self.assertEqual(client.policy(), {"path": "/v1/tasks/t/policy"})  # and the client recovers

    def test_a_get_is_not_resent_on_a_fresh_connection(self) -> None:
        with RawServer(lambda conn, server: server.read_request(conn)) as server:
            client = self.client(server.url, "t", TOKEN, 5)
            with self.assertRaises(ControlPlaneUnavailable):
                client.policy()
            self.assertEqual(len(server.requests), 1)


class ContractCallsTest(ClientTestCase):
    def test_report_fits_a_result_over_the_message_limit(self) -> None:
        with RawServer(json_server) as server:
            client = self.client(server.url + "/prefix/", "task-1", TOKEN, 20)
            decision = {"decision_id": "d", "action_id": "a/b", "action_type": "run_command", "allowed": True, "matched_rule": "r", "policy_revision": "1", "reason": "allowed by rule"}
            result = {"action_id": "a/b", "status": "succeeded", "decision": decision, "exit_code": 0, "stdout": "\x01" * CAP, "stderr": "", "truncated": False, "duration_ms": 1.5}
            self.assertEqual(client.report(result)["path"], "/prefix/v1/tasks/task-1/actions/a%2Fb/result")
            body = server.requests[0]["body"]
            self.assertLessEqual(len(body), CAP)
            sent = json.loads(body)
            validate(sent, "action-result")
            self.assertTrue(sent["truncated"])
            self.assertEqual(result["stdout"], "\x01" * CAP, "the caller's result is left alone")

    def test_every_call_path(self) -> None:
        with RawServer(json_server) as server:
            client = self.client(server.url, "task 1", None, 5)
            client.register({"hostname": "h", "pid": 1, "runtime_version": "1", "python": "3.11"})
            client.policy()
            client.next_action()
            client.heartbeat({"state": "idle", "current_action": None, "policy_revision": None})
            self.assertEqual([(r["method"], r["path"]) for r in server.requests], [("POST", "/v1/tasks/task%201/register"), ("GET", "/v1/tasks/task%201/policy"), ("GET", "/v1/tasks/task%201/actions/next"), ("POST", "/v1/tasks/task%201/heartbeat")])
            self.assertNotIn("authorization", server.requests[0]["headers"])

    def test_every_call_path_over_a_unix_socket(self) -> None:
        # unix:///path names the socket; the API is at the socket's root, and keep-alive works as over TCP.
        with RawServer(json_server, unix=True) as server:
            client = self.client(server.url, "task 1", TOKEN, 5)
            client.register({"hostname": "h", "pid": 1, "runtime_version": "1", "python": "3.11"})
            client.policy()
            client.next_action()
            self.assertEqual([(r["method"], r["path"]) for r in server.requests], [("POST", "/v1/tasks/task%201/register"), ("GET", "/v1/tasks/task%201/policy"), ("GET", "/v1/tasks/task%201/actions/next")])
            self.assertEqual(server.accepted, 1)
        missing = self.client(f"unix://{tempfile.mkdtemp()}/gone.sock", "t", TOKEN, 1)
        with self.assertRaises(ControlPlaneUnavailable):
            missing.policy()

    def test_a_body_over_the_message_limit_is_not_sent(self) -> None:
        with RawServer(json_server) as server:
            client = self.client(server.url, "t", TOKEN, 5)
            with self.assertRaises(ControlPlaneRejected) as caught:
                client.heartbeat({"pad": "x" * CAP})
            self.assertIsNone(caught.exception.status)
            self.assertEqual(server.requests, [])

    def test_invalid_configuration_is_refused_at_construction(self) -> None:
        for name, args in {
            "not http": ("ftp://cp", None),
            "unix socket with a host": ("unix://cp/run/cp.sock", None),
            "unix socket, relative path": ("unix:cp.sock", None),
            "CA file with a unix socket": ("unix:///run/cp.sock", "/nonexistent.pem"),
            "no host": ("http://", None),
            "CA file with http": ("http://cp", "/nonexistent.pem"),
            "missing CA file": ("https://cp", "/nonexistent.pem"),
        }.items():
            with self.subTest(name), self.assertRaises(ValueError):
                self.client(args[0], "t", TOKEN, 5, ca_file=args[1])


@unittest.skipIf(shutil.which("openssl") is None, "needs the openssl CLI to make certificates (the image has none; its behaviour test covers TLS)")
class TlsTest(DeadlineTestCase):
    """https against a local CA: certificate and IP address are checked; the deadline holds after the handshake too."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.dir = tempfile.TemporaryDirectory()
        d = cls.dir.name

        def run(*args: str) -> None:
            subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        for name, san in (("good", "IP:127.0.0.1,DNS:localhost"), ("wrong-ip", "IP:127.0.0.2,DNS:elsewhere")):
            with open(os.path.join(d, f"{name}.ext"), "w") as ext:
                ext.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
            run("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
            run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
        cls.ca = os.path.join(d, "ca.pem")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.dir.cleanup()

    def server_context(self, name: str) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(self.dir.name, f"{name}.pem"), os.path.join(self.dir.name, f"{name}.key"))
        return context

    def test_a_certificate_from_the_ca_for_the_ip_address_is_accepted(self) -> None:
        with RawServer(json_server, tls=self.server_context("good")) as server:
            client = self.client(server.url, "t", TOKEN, 5, ca_file=self.ca)
            self.assertEqual(client.policy(), {"path": "/v1/tasks/t/policy", "method": "GET"})
            self.assertEqual(client.policy()["method"], "GET")
            self.assertEqual(server.accepted, 1)

    def test_certificates_that_do_not_prove_the_server_are_refused(self) -> None:
        rows = {
            "certificate for another IP address": ("wrong-ip", self.ca),
            "CA not in the system store": ("good", None),
        }
        for name, (cert, ca_file) in rows.items():
            with self.subTest(name), RawServer(json_server, tls=self.server_context(cert)) as server:
                client = self.client(server.url, "t", TOKEN, 5, ca_file=ca_file)
                with self.assertRaises(ControlPlaneUnavailable) as caught:
                    client.policy()
                self.assertIn("certificate", str(caught.exception))
                self.assertEqual(server.requests, [])

    def test_plain_http_from_the_server_is_refused(self) -> None:
        with RawServer(lambda conn, server: (conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"), server.wait(2))) as server:
            client = self.client(server.url.replace("http://", "https://"), "t", TOKEN, 5, ca_file=self.ca)
            with self.assertRaises(ControlPlaneUnavailable):
                client.policy()

    def test_a_trickling_server_is_cut_off_after_the_handshake(self) -> None:
        def behaviour(conn: socket.socket, server: RawServer) -> None:
            server.read_request(conn)
            server.trickle(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" * 4)

        with RawServer(behaviour, tls=self.server_context("good")) as server:
            client = self.client(server.url, "t", TOKEN, TIMEOUT, ca_file=self.ca)
            self.assertWithinDeadline(client.policy)

    def test_an_oversized_answer_over_tls_is_refused(self) -> None:
        def behaviour(conn: socket.socket, server: RawServer) -> None:
            server.read_request(conn)
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {CAP + 1}\r\n\r\n".encode())
            server.wait()

        with RawServer(behaviour, tls=self.server_context("good")) as server:
            client = self.client(server.url, "t", TOKEN, 5, ca_file=self.ca)
            self.assertWithinDeadline(client.policy, MalformedResponse, timeout=QUICK)


if __name__ == "__main__":
    unittest.main()
