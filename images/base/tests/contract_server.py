"""A small in-process control plane for the runtime's unit tests.

It speaks the contract over real HTTP on loopback and checks every message the
runtime sends against the contract's JSON Schemas. The full control plane
(apps/control-plane) is what the behaviour tests run the image against; this
one exists because those tests run inside the image, where it is not.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agent.contract_schema import validate


class ContractServer:
    def __init__(self, task_id: str, actions: list[dict[str, Any]], rules: list[dict[str, Any]], token: str | None = None, keep_open: bool = False, check_actions: bool = True):
        self.task_id = task_id
        self.queue = list(actions)
        self.keep_open = keep_open
        # False to hand the runtime actions that break the contract, as a hostile or buggy control plane would.
        self.check_actions = check_actions
        self.rules = rules
        self.revision = "rev-1"
        self.serial = 1
        self.token = token
        self.results: list[dict[str, Any]] = []
        self.heartbeats: list[dict[str, Any]] = []
        self.registered: dict[str, Any] | None = None
        self.policy_status = 200
        self.seen_authorization: list[str | None] = []
        self.problems: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> Any:
                return json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")

            def _checked(self, body: Any, schema: str) -> None:
                try:
                    validate(body, schema)
                except AssertionError as error:
                    server.problems.append(str(error))

            def _authorized(self) -> bool:
                server.seen_authorization.append(self.headers.get("Authorization"))
                if server.token is not None and self.headers.get("Authorization") != f"Bearer {server.token}":
                    self._send(401, {"error": "missing or wrong credential"})
                    return False
                return True

            def do_GET(self) -> None:
                if not self._authorized():
                    return
                prefix = f"/v1/tasks/{server.task_id}"
                if self.path == prefix + "/policy":
                    if server.policy_status != 200:
                        return self._send(server.policy_status, {"error": "policy unavailable"})
                    policy = {"task_id": server.task_id, "revision": server.revision, "serial": server.serial, "issued_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"), "rules": server.rules}
                    validate(policy, "policy")
                    return self._send(200, policy)
                if self.path == prefix + "/actions/next":
                    answer = {"action": server.queue.pop(0)} if server.queue else ({"wait_ms": 100} if server.keep_open else {"done": True})
                    if server.check_actions:
                        validate(answer, "next-action-response")
                    return self._send(200, answer)
                self._send(404, {"error": "no such task"})

            def do_POST(self) -> None:
                if not self._authorized():
                    return
                prefix = f"/v1/tasks/{server.task_id}"
                body = self._body()
                if self.path == prefix + "/register":
                    self._checked(body, "register-request")
                    server.registered = body
                    return self._send(200, {"task_id": server.task_id})
                if self.path == prefix + "/heartbeat":
                    self._checked(body, "heartbeat")
                    server.heartbeats.append(body)
                    return self._send(200, {"ok": True})
                if self.path.startswith(prefix + "/actions/") and self.path.endswith("/result"):
                    self._checked(body, "action-result")
                    server.results.append(body)
                    return self._send(200, {"recorded": True})
                self._send(404, {"error": "no such task"})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "ContractServer":
        self.thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()
