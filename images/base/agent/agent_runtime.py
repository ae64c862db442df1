"""The agent runtime: registers the task, then fetches, checks, executes and reports actions until the task is done.

Exit codes: 0 task done, 2 invalid configuration or credential, 3 control
plane lost (or refused the task) with no valid policy left, 143 stopped by
SIGTERM, 1 bug.

Every action goes through the same steps: checked against the contract
(anything malformed is reported as rejected and the loop goes on), its paths
made canonical inside the workspace and its program resolved, the policy
evaluated on exactly that, and only then run on exactly that.
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
from .actions import ActionRunner, InvalidAction, Outcome, resolve_program
from .config import Config, ConfigError, load_config, read_credential
from .contract_schema import LIMITS, ContractViolation, check, errors, schema, scrub
from .control_plane import ControlPlaneClient, ControlPlaneError, ControlPlaneRejected, MalformedResponse, backoff_delays
from .credential_guard import GuardUnavailable, make_undumpable
from .health import touch
from .logs import JsonLogger
from .policy_client import PolicyClient
from .results import fit_result
from .workspace import PathRefused, Workspace

EXIT_DONE, EXIT_BUG, EXIT_CONFIG, EXIT_LOST, EXIT_SIGTERM = 0, 1, 2, 3, 143
HEALTH_TOUCH_INTERVAL_S = 1.0


class AgentRuntime:
    def __init__(self, config: Config, logger: JsonLogger, client: ControlPlaneClient, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.logger = logger
        self.client = client
        self.clock = clock
        self.stop_requested = threading.Event()
        self.workspace = Workspace(config.workspace)
        self.runner = ActionRunner(self.workspace, config.max_output_bytes, config.max_action_timeout_s, heartbeat=self._alive)
        search_path = self.runner.command_env["PATH"]
        # Rule programs resolve the way the commands' own argv[0] does, so both name the same executable.
        resolve = lambda program: resolve_program(program, search_path, str(self.workspace.root))
        self.policy = PolicyClient(client.policy, config.task_id, config.policy_refresh_s, config.policy_max_age_s, logger, clock, resolve)
        self.outbox: list[dict[str, Any]] = []
        self.state = "starting"
        self.current_action: str | None = None
        self.heartbeat_interval_s = config.heartbeat_interval_s
        self._health_failing = False
        self._last_touch = float("-inf")

    # -- liveness ---------------------------------------------------------
    def _alive(self) -> None:
        # The health check allows AGENT_HEALTH_STALE_S (15 s by default): refreshing the file once a second is plenty,
        # and keeps a syscall-heavy write out of every pass of a loop that runs hundreds of times a second.
        now = self.clock()
        if now - self._last_touch < HEALTH_TOUCH_INTERVAL_S:
            return
        self._last_touch = now
        try:
            touch(self.config.health_file)
            self._health_failing = False
        except OSError as error:
            if not self._health_failing:  # once per failure streak: the loop runs many times a second
                self.logger.warning("health_file_unwritable", path=str(self.config.health_file), error=str(error))
            self._health_failing = True

    def _heartbeats(self) -> None:
        while not self.stop_requested.wait(self.heartbeat_interval_s):
            policy = self.policy.valid_policy()
            try:
                self.client.heartbeat({"state": self.state, "current_action": self.current_action, "policy_revision": policy.revision if policy else None})
            except ControlPlaneError as error:
                self.logger.debug("heartbeat_failed", error=str(error))

    def request_stop(self, signum: int, _frame: Any = None) -> None:
        if not self.stop_requested.is_set():
            self.logger.info("stop_requested", signal=signal.Signals(signum).name, current_action=self.current_action)
            # Whatever the main thread is blocked in, the container ends with 143 within the grace period: docker stop
            # waits 10 s before SIGKILL, and a killed runtime reports nothing.
            watchdog = threading.Timer(min(self.config.stop_grace_s + 1.0, 9.0), self._force_exit)
            watchdog.daemon = True
            watchdog.start()
        self.state = "stopping"
        self.stop_requested.set()
        self.runner.cancel()

    def _force_exit(self) -> None:
        self.runner.cancel()
        for result in list(self.outbox):
            self.logger.error("result_undelivered", result=result)
        self.logger.error("stop_forced", exit_code=EXIT_SIGTERM, detail="the runtime did not finish within the stop grace period")
        os._exit(EXIT_SIGTERM)

    # -- reporting --------------------------------------------------------
    def _flush_outbox(self) -> bool:
        while self.outbox:
            try:
                self.client.report(self.outbox[0])
            except ControlPlaneRejected as error:
                # Nothing is lost: a result the control plane refuses stays in the log, whole.
                self.logger.error("result_rejected", action_id=self.outbox[0]["action_id"], error=str(error), result=self.outbox[0])
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
                answer = self.client.register(agent)
                try:
                    check(answer, "register-response")
                    interval = answer.get("heartbeat_interval_s")
                except ContractViolation as violation:
                    self.logger.warning("register_answer_malformed", error=str(violation))
                    interval = None
                # The control plane judges liveness by its own interval: beat at least that often.
                if interval is not None and 0.1 <= interval <= 3600:
                    self.heartbeat_interval_s = min(self.config.heartbeat_interval_s, float(interval))
                self.logger.info("registered", control_plane=self.config.control_plane_url, heartbeat_interval_s=self.heartbeat_interval_s, **agent)
                return True
            except ControlPlaneRejected:
                raise
            except ControlPlaneError as error:
                self.logger.warning("register_failed", error=str(error))
                if self.clock() >= deadline:
                    return False
                self.stop_requested.wait(next(delays))
        return False

    def _next_answer(self) -> dict[str, Any]:
        """The next answer; one that is only an action breaking the wire rules (a lone surrogate...) goes on to be rejected."""
        try:
            return self.client.next_action()
        except MalformedResponse as error:
            # The answer came and is an action: whatever is wrong is in the action, which the contract check refuses
            # and _reject reports (when its id is usable), rather than a control plane taken for unreachable.
            if isinstance(error.answer, dict) and list(error.answer) == ["action"] and isinstance(error.answer["action"], dict):
                return error.answer
            raise

    def _execute(self, raw: Any) -> None:
        started = self.clock()
        self.state = "running"
        try:
            # Checked against the contract (and its defaults filled) before anything else looks at it.
            prepared = self.runner.prepare(raw)
        except InvalidAction as violation:
            self._reject(raw, str(violation), started)
            self.state = "idle"
            return
        except PathRefused as refused:  # a valid action whose path leads out of the workspace
            self.current_action = raw["id"]
            decision = self.policy.refuse(raw["id"], raw["type"], f"refused before policy evaluation: {refused}")
            outcome = Outcome("failed", {"error": f"refused: {refused}"})
        else:
            self.current_action = prepared.action["id"]
            decision = self.policy.evaluate(prepared)
            if decision.allowed:
                self.logger.info("action_started", action_id=decision.action_id, action_type=decision.action_type)
                outcome = self.runner.run(prepared)
            else:
                outcome = Outcome("denied", {"error": f"denied: {decision.reason}"})
        self._finish(decision.action_id, outcome, decision.as_dict(), started)
        self.current_action = None
        self.state = "idle"

    def _reject(self, raw: Any, reason: str, started: float) -> None:
        """An action that breaks the contract is neither evaluated nor run; it is reported when its id can be, logged always."""
        action_id = raw.get("id") if isinstance(raw, dict) else None
        action_type = raw.get("type") if isinstance(raw, dict) else None
        if errors(action_id, ACTION_ID_SCHEMA):
            self.logger.warning("action_rejected", reason=reason, detail="the action has no valid id, so no result can be reported for it")
            return
        kind = scrub(action_type) if isinstance(action_type, str) and action_type else "?"
        decision = self.policy.refuse(action_id, kind[:64], f"invalid action: {reason}")
        self._finish(action_id, Outcome("rejected", {"error": f"invalid action: {reason}"}), decision.as_dict(), started)

    def _finish(self, action_id: str, outcome: Outcome, decision: dict[str, Any], started: float) -> None:
        result = {"action_id": action_id, "status": outcome.status, "decision": decision, "duration_ms": round((self.clock() - started) * 1000, 3), **outcome.fields}
        self.logger.info("action_finished", action_id=action_id, status=outcome.status, exit_code=outcome.fields.get("exit_code"), error=outcome.fields.get("error"))
        # A result larger than the control plane accepts is cut to fit, with a marker; it is never dropped.
        self.outbox.append(fit_result(result, LIMITS["maxMessageBytes"]))

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
                answer = self._next_answer()
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
            if "action" in answer and len(answer) == 1:
                # The action itself is checked on its own, so a bad one is reported as rejected rather than lost.
                self._execute(answer["action"])
                continue
            try:
                check(answer, "next-action-response")
            except ContractViolation as violation:
                self.logger.warning("next_action_malformed", error=str(violation), answer=answer)
                self.stop_requested.wait(self.config.poll_interval_s)
                continue
            if answer.get("done") is True:
                self.state = "stopping"
                self._flush_outbox()
                self.logger.info("task_done", exit_code=EXIT_DONE)
                return EXIT_DONE if not self.outbox else self._give_up("results_undelivered", EXIT_LOST)
            self.stop_requested.wait(min(answer["wait_ms"] / 1000, self.config.poll_interval_s))

        # Stopped by a signal: report what was cut short, briefly, then leave.
        self.client.timeout_s = min(self.client.timeout_s, 2.0)
        self._flush_outbox()
        return self._give_up("stopped", EXIT_SIGTERM) if self.outbox else self._stopped()

    def _stopped(self) -> int:
        self.logger.info("stopped", exit_code=EXIT_SIGTERM)
        return EXIT_SIGTERM


# The contract's id rule: an action whose id breaks it cannot be reported (the id is part of the result's URL).
ACTION_ID_SCHEMA = schema("action")["oneOf"][0]["properties"]["id"]


def _detach_stdin() -> None:
    """Standard input carried the credential; nothing else is read from it, so it becomes /dev/null."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


def main(env: dict[str, str] | None = None, stdin_fd: int = 0) -> int:
    env = dict(os.environ) if env is None else env
    boot = JsonLogger(env.get("TASK_ID") or None)
    try:
        # Before the credential is read: from here on no command can read this process's memory or /proc entries.
        make_undumpable()
        config = load_config(env)
        token = read_credential(env, stdin_fd)
    except (ConfigError, GuardUnavailable) as error:
        boot.error("config_invalid", error=str(error), exit_code=EXIT_CONFIG)
        return EXIT_CONFIG
    if stdin_fd == 0:
        _detach_stdin()
    logger = JsonLogger(config.task_id, config.log_level, [token])
    logger.install_excepthooks()
    try:
        client = ControlPlaneClient(config.control_plane_url, config.task_id, token, config.request_timeout_s, str(config.ca_file) if config.ca_file else None)
    except ValueError as error:  # e.g. a CA file that is not PEM
        logger.error("config_invalid", error=str(error), exit_code=EXIT_CONFIG)
        return EXIT_CONFIG
    runtime = AgentRuntime(config, logger, client)
    signal.signal(signal.SIGTERM, runtime.request_stop)
    signal.signal(signal.SIGINT, runtime.request_stop)
    if os.getpid() != 1:
        # Under another init (docker run --init, tini), PID 1 holds the container log and is dumpable: a command can
        # write lines into the log through /proc/1/fd/1, and the runtime can be sent SIGSTOP or SIGKILL.
        logger.warning("not_pid_1", pid=os.getpid(), detail="start the image with its own entrypoint and without --init: the log can then be forged by commands through PID 1")
    logger.info("starting", runtime_version=RUNTIME_VERSION, workspace=str(config.workspace), policy_max_age_s=config.policy_max_age_s, tls_ca_file=str(config.ca_file) if config.ca_file else None)
    try:
        return runtime.run()
    except Exception as error:  # a bug: one redacted log line with the trace, never a raw traceback on stderr
        logger.exception("runtime_crashed", error)
        return EXIT_BUG
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
