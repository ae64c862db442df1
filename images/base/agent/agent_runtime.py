"""The agent runtime: registers the task, then fetches, checks, executes and reports actions until the task is done.

Exit codes: 0 task done, 2 invalid configuration, 3 control plane lost (or
refused the task) with no valid policy left, 143 stopped by SIGTERM, 1 bug.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import sys
import threading
import time
from typing import Any, Callable

from . import RUNTIME_VERSION
from .actions import ActionRunner, Outcome
from .config import Config, ConfigError, SECRET_VARIABLES, load_config
from .control_plane import ControlPlaneClient, ControlPlaneError, ControlPlaneRejected, backoff_delays
from .health import touch
from .logs import JsonLogger
from .policy_client import PolicyClient

EXIT_DONE, EXIT_BUG, EXIT_CONFIG, EXIT_LOST, EXIT_SIGTERM = 0, 1, 2, 3, 143


class AgentRuntime:
    def __init__(self, config: Config, logger: JsonLogger, client: ControlPlaneClient, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.logger = logger
        self.client = client
        self.clock = clock
        self.stop_requested = threading.Event()
        self.policy = PolicyClient(client.policy, config.task_id, config.policy_refresh_s, config.policy_max_age_s, logger, clock)
        self.runner = ActionRunner(config.workspace, config.max_output_bytes, config.max_action_timeout_s, heartbeat=self._alive)
        self.outbox: list[dict[str, Any]] = []
        self.state = "starting"
        self.current_action: str | None = None

    # -- liveness ---------------------------------------------------------
    def _alive(self) -> None:
        try:
            touch(self.config.health_file)
        except OSError as error:
            self.logger.warning("health_file_unwritable", path=str(self.config.health_file), error=str(error))

    def _heartbeats(self) -> None:
        while not self.stop_requested.wait(self.config.heartbeat_interval_s):
            policy = self.policy.valid_policy()
            try:
                self.client.heartbeat({"state": self.state, "current_action": self.current_action, "policy_revision": policy.revision if policy else None})
            except ControlPlaneError as error:
                self.logger.debug("heartbeat_failed", error=str(error))

    def request_stop(self, signum: int, _frame: Any = None) -> None:
        if not self.stop_requested.is_set():
            self.logger.info("stop_requested", signal=signal.Signals(signum).name, current_action=self.current_action)
        self.state = "stopping"
        self.stop_requested.set()
        self.runner.cancel()

    # -- reporting --------------------------------------------------------
    def _flush_outbox(self) -> bool:
        while self.outbox:
            try:
                self.client.report(self.outbox[0])
            except ControlPlaneRejected as error:
                self.logger.error("result_rejected", action_id=self.outbox[0]["action_id"], error=str(error))
            except ControlPlaneError as error:
                self.logger.warning("result_not_delivered", action_id=self.outbox[0]["action_id"], error=str(error), pending=len(self.outbox))
                return False
            self.outbox.pop(0)
        return True

    def _give_up(self, event: str, code: int, **fields: Any) -> int:
        for result in self.outbox:
            # Nothing is lost: what the control plane never got stays in the log.
            self.logger.error("result_undelivered", result=result)
        self.logger.error(event, exit_code=code, **fields)
        return code

    # -- the loop ---------------------------------------------------------
    def _register(self) -> bool:
        agent = {"hostname": socket.gethostname(), "pid": os.getpid(), "runtime_version": RUNTIME_VERSION, "python": platform.python_version()}
        delays = backoff_delays(0.2, 2.0)
        deadline = self.clock() + self.config.policy_max_age_s
        while not self.stop_requested.is_set():
            self._alive()
            try:
                self.client.register(agent)
                self.logger.info("registered", control_plane=self.config.control_plane_url, **agent)
                return True
            except ControlPlaneRejected:
                raise
            except ControlPlaneError as error:
                self.logger.warning("register_failed", error=str(error))
                if self.clock() >= deadline:
                    return False
                self.stop_requested.wait(next(delays))
        return False

    def _execute(self, action: dict[str, Any]) -> None:
        started = self.clock()
        self.current_action = str(action.get("id"))
        self.state = "running"
        decision = self.policy.evaluate(action)
        if decision.allowed:
            self.logger.info("action_started", action_id=decision.action_id, action_type=decision.action_type)
            outcome = self.runner.run(action)
        else:
            outcome = Outcome("denied", {"error": f"denied: {decision.reason}"})
        result = {"action_id": decision.action_id, "status": outcome.status, "decision": decision.as_dict(), "duration_ms": round((self.clock() - started) * 1000, 3), **outcome.fields}
        self.logger.info("action_finished", action_id=decision.action_id, status=outcome.status, exit_code=outcome.fields.get("exit_code"), error=outcome.fields.get("error"))
        self.outbox.append(result)
        self.current_action = None
        self.state = "idle"

    def run(self) -> int:
        self._alive()
        try:
            if not self._register():
                if self.stop_requested.is_set():
                    return EXIT_SIGTERM
                return self._give_up("control_plane_unreachable", EXIT_LOST, detail="could not register the task before the policy maximum age passed", url=self.config.control_plane_url)
        except ControlPlaneRejected as error:
            return self._give_up("task_rejected", EXIT_LOST, error=str(error))
        self.policy.refresh()
        threading.Thread(target=self._heartbeats, name="heartbeat", daemon=True).start()
        self.state = "idle"
        delays = backoff_delays(self.config.poll_interval_s, 2.0)
        unreachable_since: float | None = None

        while not self.stop_requested.is_set():
            self._alive()
            self.policy.refresh_if_due()
            try:
                if not self._flush_outbox():
                    raise ControlPlaneError("results pending delivery")
                answer = self.client.next_action()
            except ControlPlaneRejected as error:
                return self._give_up("task_rejected", EXIT_LOST, error=str(error))
            except ControlPlaneError as error:
                if unreachable_since is None:
                    unreachable_since = self.clock()
                    self.logger.warning("control_plane_unreachable", error=str(error), enforcing=self.policy.valid_policy().revision if self.policy.valid_policy() else None)
                if self.policy.valid_policy() is None:
                    return self._give_up(
                        "control_plane_lost",
                        EXIT_LOST,
                        detail="control plane unreachable and no valid policy left: every action would be denied, so the runtime stops",
                        unreachable_for_s=round(self.clock() - unreachable_since, 1),
                    )
                self.stop_requested.wait(next(delays))
                continue
            if unreachable_since is not None:
                self.logger.info("control_plane_reachable", after_s=round(self.clock() - unreachable_since, 1))
                unreachable_since = None
                delays = backoff_delays(self.config.poll_interval_s, 2.0)
            if answer.get("done") is True:
                self.state = "stopping"
                self._flush_outbox()
                self.logger.info("task_done", exit_code=EXIT_DONE)
                return EXIT_DONE if not self.outbox else self._give_up("results_undelivered", EXIT_LOST)
            action = answer.get("action")
            if isinstance(action, dict):
                self._execute(action)
                continue
            wait_ms = answer.get("wait_ms")
            if isinstance(wait_ms, (int, float)) and wait_ms >= 0:
                self.stop_requested.wait(min(wait_ms / 1000, self.config.poll_interval_s))
                continue
            self.logger.warning("next_action_malformed", answer=str(answer)[:200])
            self.stop_requested.wait(self.config.poll_interval_s)

        # Stopped by a signal: report what was cut short, briefly, then leave.
        self.client.timeout_s = min(self.client.timeout_s, 2.0)
        self._flush_outbox()
        return self._give_up("stopped", EXIT_SIGTERM) if self.outbox else self._stopped()

    def _stopped(self) -> int:
        self.logger.info("stopped", exit_code=EXIT_SIGTERM)
        return EXIT_SIGTERM


def main(env: dict[str, str] | None = None) -> int:
    env = dict(os.environ) if env is None else env
    secrets = [env[name] for name in SECRET_VARIABLES if env.get(name)]
    try:
        config = load_config(env)
    except ConfigError as error:
        JsonLogger(env.get("TASK_ID") or None, secrets=secrets).error("config_invalid", error=str(error), exit_code=EXIT_CONFIG)
        return EXIT_CONFIG
    logger = JsonLogger(config.task_id, config.log_level, config.secrets())
    client = ControlPlaneClient(config.control_plane_url, config.task_id, config.token, config.request_timeout_s)
    runtime = AgentRuntime(config, logger, client)
    signal.signal(signal.SIGTERM, runtime.request_stop)
    signal.signal(signal.SIGINT, runtime.request_stop)
    logger.info("starting", runtime_version=RUNTIME_VERSION, workspace=str(config.workspace), policy_max_age_s=config.policy_max_age_s)
    try:
        return runtime.run()
    except Exception as error:  # a bug: say so in one line, keep the trace for the report
        logger.error("runtime_crashed", error=f"{type(error).__name__}: {error}")
        raise


if __name__ == "__main__":
    sys.exit(main())
