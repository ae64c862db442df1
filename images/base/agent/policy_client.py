"""Checks every action against the task's policy, locally, failing closed.

The policy (rules, a revision and a serial) comes from the control plane and
is refreshed periodically; a policy whose serial is below the one in force
(or that changes the rules under the same serial) is never accepted, so an
older, looser policy cannot be replayed. A policy is known by its content: the
digest of its rules, never the revision string that comes with them, which
whoever changes the rules can keep as it was. When the control plane cannot be reached, the last
policy that was verified keeps being enforced until it is older than the
configured maximum age; with no valid policy every action is denied. Down,
timeouts, 5xx and malformed answers all count as "no new policy".
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import time
import uuid
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Callable

from .actions import Prepared

from .contract_schema import ContractViolation, check
from .control_plane import ControlPlaneError, ControlPlaneRejected
from .logs import JsonLogger
from .program_classes import ProgramClasses



class InvalidPolicy(ValueError):
    pass


# Resolves a program name the way the command's execvp would: the real path of the executable, or None.
Resolver = Callable[[str], "str | None"]
ANY_PROGRAM = "*"


@dataclass(frozen=True)
class CommandPattern:
    """`<program> <argument pattern>` from a rule, with the program resolved once to the executable it names."""

    text: str
    program: str
    executable: str | None  # None: the program is not installed here, so the pattern matches nothing (or it is "*")
    arguments: str | None  # None: the command must have no arguments

    @classmethod
    def parse(cls, text: str, resolve: Resolver) -> "CommandPattern":
        program, _, arguments = text.partition(" ")
        if program != ANY_PROGRAM and (any(c in program for c in "*?[") or ("/" in program and not program.startswith("/"))):
            raise InvalidPolicy(f"command pattern {text!r}: the program must be *, a name found through PATH or an absolute path")
        return cls(text, program, None if program == ANY_PROGRAM else resolve(program), arguments if _ else None)

    def matches(self, prepared: Prepared, effect: str) -> bool:
        argv = prepared.action["argv"]
        if self.program != ANY_PROGRAM:
            # rm, /bin/rm and /usr/bin/rm are one program: the one the kernel would execute.
            if self.executable is None or prepared.executable != self.executable:
                return False
            # A multi-call program (busybox, rbash -> bash) picks its behaviour by the name it is called by, so an
            # allow rule allows only the name it gives; a deny rule denies the program under every name.
            if effect == "allow" and os.path.basename(argv[0]) != os.path.basename(self.program):
                return False
        rest = shlex.join(argv[1:])
        return rest == "" if self.arguments is None else fnmatchcase(rest, self.arguments)


@dataclass(frozen=True)
class Rule:
    id: str
    effect: str
    actions: tuple[str, ...]
    commands: tuple[CommandPattern, ...] | None
    paths: tuple[str, ...] | None
    # The rule's author accepts that what it lets run may run anything, deny rules notwithstanding.
    arbitrary_code: bool = False

    def matches(self, prepared: Prepared) -> bool:
        """A rule with `commands` speaks only of commands, one with `paths` only of file actions; one with neither, of every action of its types.

        Paths are matched in their canonical workspace-relative form (after '.',
        '..' and symlinks inside the workspace), so ./secrets/key,
        secrets//key and a/../secrets/key are all secrets/key.
        """
        kind = prepared.action["type"]
        if "*" not in self.actions and kind not in self.actions:
            return False
        if kind == "run_command":
            if self.commands is None:
                return self.paths is None
            return any(pattern.matches(prepared, self.effect) for pattern in self.commands)
        if self.paths is None:
            return self.commands is None
        return prepared.path is not None and any(fnmatchcase(prepared.path, pattern) for pattern in self.paths)


@dataclass(frozen=True)
class Policy:
    task_id: str
    revision: str
    serial: int
    rules: tuple[Rule, ...]
    verified_at: float
    # sha256 of the rules as the control plane sent them, in canonical JSON (sorted keys, no spaces, UTF-8).
    digest: str = ""


def rules_digest(rules: Any) -> str:
    """What a policy's rules are, as a digest: two policies with equal rules have equal digests, whatever their revision."""
    canonical = json.dumps(rules, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_policy(data: Any, task_id: str, now: float, resolve: Resolver) -> Policy:
    """Verifies a policy document against the contract (its JSON Schema: fields, types, serial, rule shapes); anything off makes it invalid."""
    try:
        check(data, "policy")
    except ContractViolation as violation:
        raise InvalidPolicy(str(violation)) from None
    if data["task_id"] != task_id:
        raise InvalidPolicy(f"policy is for task {data['task_id']!r}, not {task_id!r}")
    rules = [
        Rule(
            raw["id"],
            raw["effect"],
            tuple(raw["actions"]),
            tuple(CommandPattern.parse(text, resolve) for text in raw["commands"]) if "commands" in raw else None,
            tuple(raw["paths"]) if "paths" in raw else None,
            raw.get("arbitrary_code") is True,
        )
        for raw in data["rules"]
    ]
    return Policy(task_id=task_id, revision=data["revision"], serial=data["serial"], rules=tuple(rules), verified_at=now, digest=rules_digest(data["rules"]))


@dataclass(frozen=True)
class Decision:
    decision_id: str
    action_id: str
    action_type: str
    allowed: bool
    matched_rule: str | None
    policy_revision: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class PolicyClient:
    def __init__(
        self,
        fetch: Callable[[], dict[str, Any]],
        task_id: str,
        refresh_s: float,
        max_age_s: float,
        logger: JsonLogger,
        clock: Callable[[], float] = time.monotonic,
        resolve: Resolver = lambda _program: None,
        programs: ProgramClasses | None = None,
    ):
        self._fetch = fetch
        self.task_id = task_id
        self.refresh_s = refresh_s
        self.max_age_s = max_age_s
        self.logger = logger
        self.clock = clock
        self.resolve = resolve
        self.programs = ProgramClasses() if programs is None else programs
        self._policy: Policy | None = None
        # The highest serial ever verified, and the digest of its rules: nothing below it is accepted, even once it
        # expired, and nothing else under it.
        self._floor: tuple[int, str] | None = None
        self._last_attempt: float | None = None
        self._expiry_logged = False

    def refresh(self) -> bool:
        """Fetches and verifies the policy; on any failure keeps the last verified one. True when a new one was verified."""
        self._last_attempt = self.clock()
        started = time.perf_counter()
        try:
            policy = parse_policy(self._fetch(), self.task_id, self.clock(), self.resolve)
            if self._floor is not None:
                serial, digest = self._floor
                if policy.serial < serial:
                    raise InvalidPolicy(f"policy serial {policy.serial} is below serial {serial} already in force: an older policy is never accepted")
                if policy.serial == serial and policy.digest != digest:
                    raise InvalidPolicy(f"policy revision {policy.revision} changes the rules of serial {serial} ({digest} in force, {policy.digest} offered): a changed policy must raise its serial")
        except (ControlPlaneError, InvalidPolicy) as error:
            kind = "policy_invalid" if isinstance(error, (InvalidPolicy, ControlPlaneRejected)) else "policy_unavailable"
            self.logger.warning(kind, error=str(error), enforcing=self._policy.revision if self.valid_policy() else None)
            return False
        if self._policy is None or policy.digest != self._policy.digest or policy.revision != self._policy.revision:
            self.logger.info("policy_loaded", revision=policy.revision, serial=policy.serial, digest=policy.digest, rules=len(policy.rules), fetch_ms=round((time.perf_counter() - started) * 1000, 2))
        self._policy = policy
        self._floor = (policy.serial, policy.digest)
        self._expiry_logged = False
        return True

    def refresh_if_due(self) -> None:
        if self._last_attempt is None or self.clock() - self._last_attempt >= self.refresh_s:
            self.refresh()

    def valid_policy(self) -> Policy | None:
        """The last verified policy while it is younger than the maximum age; None otherwise (fail closed)."""
        if self._policy is None:
            return None
        if self.clock() - self._policy.verified_at > self.max_age_s:
            if not self._expiry_logged:
                self._expiry_logged = True
                self.logger.error("policy_expired", revision=self._policy.revision, max_age_s=self.max_age_s, effect="every action is denied")
            return None
        return self._policy

    def had_policy(self) -> bool:
        return self._policy is not None

    def refuse(self, action_id: str, action_type: str, reason: str) -> Decision:
        """The audit record of an action refused before any rule was consulted (it broke the contract, or its path leads out)."""
        policy = self.valid_policy()
        decision = Decision(str(uuid.uuid4()), action_id, action_type, False, None, policy.revision if policy else None, reason)
        self.logger.info("audit", **decision.as_dict())
        return decision

    def _deny_bypass(self, policy: Policy, prepared: Prepared, allow: Rule) -> str | None:
        """Why `allow` may not let this command run: it is no plain program of the image, and a deny rule is in force.

        Such a program can run the denied command, or open the denied path, for
        the task (`x86_64 /usr/bin/rm`, `sdiff --diff-program=...`), whatever
        name it is called by: only a rule that says `arbitrary_code` lets it run.
        """
        if prepared.action["type"] != "run_command" or allow.arbitrary_code or self.programs.is_plain(prepared.executable):
            return None
        deny = next((rule for rule in policy.rules if rule.effect == "deny"), None)
        if deny is None:
            return None
        program = prepared.executable or prepared.action["argv"][0]
        called = os.path.basename(prepared.action["argv"][0])
        alias = "" if os.path.basename(program) == called else f" (called as {called})"
        return (
            f"{program}{alias} is not a plain program of this image (it may run other programs), so it could do what deny rule "
            f"{deny.id!r} forbids; allow rule {allow.id!r} needs \"arbitrary_code\": true to let it run"
        )

    def evaluate(self, prepared: Prepared) -> Decision:
        action_id = prepared.action["id"]
        action_type = prepared.action["type"]
        policy = self.valid_policy()
        if policy is None:
            reason = "policy expired and not renewed" if self._policy else "no valid policy"
            decision = Decision(str(uuid.uuid4()), action_id, action_type, False, None, None, reason)
        else:
            matching = [rule for rule in policy.rules if rule.matches(prepared)]
            deny = next((rule for rule in matching if rule.effect == "deny"), None)
            allows = [rule for rule in matching if rule.effect == "allow"]
            # A rule that says arbitrary_code accepts what any program does; prefer it, so its reason is the one shown.
            allow = next((rule for rule in allows if rule.arbitrary_code), allows[0] if allows else None)
            bypass = self._deny_bypass(policy, prepared, allow) if allow and not deny else None
            if deny:
                decision = Decision(str(uuid.uuid4()), action_id, action_type, False, deny.id, policy.revision, "denied by rule")
            elif bypass:
                decision = Decision(str(uuid.uuid4()), action_id, action_type, False, allow.id, policy.revision, bypass)
            elif allow:
                decision = Decision(str(uuid.uuid4()), action_id, action_type, True, allow.id, policy.revision, "allowed by rule")
            else:
                decision = Decision(str(uuid.uuid4()), action_id, action_type, False, None, policy.revision, "no rule allows it (default deny)")
        self.logger.info("audit", **decision.as_dict())
        return decision
