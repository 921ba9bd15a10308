"""A checkpointed step: replayed from its checkpoint when it has one, otherwise run and recorded.

A step that writes nowhere (no side effects but `read`, replay `auto`) runs first and is recorded
in one request (steps/checkpoint); if it runs longer than `announce_after_s` it is announced
(steps/begin) meanwhile, so it shows as running. Any other step, and every retry, takes the step
lease first (steps/begin, run, steps/:id/complete), so a failure is recorded with its retry and
resume decision. The same rules as the TypeScript SDK, request for request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Union

from .context import RunContext, StepScope
from .errors import (
    BudgetExceededError,
    InputMismatchError,
    LeaseLostError,
    RunAlreadyCompletedError,
    RunCancelledError,
    StepLockedError,
    TidebaseError,
    UnserializableError,
)
from .input_hash import input_hash
from .jsonvalue import error_json, to_jsonable, with_attributes
from .ops import Call, CallAnnounced, Http, Protocol, Sleep
from .transport import is_transient, quote

NO_INPUT_HASH = input_hash(None)


@dataclass
class StepOptions:
    input: Any = None
    side_effects: Optional[Sequence[str]] = None
    idempotency_key: Optional[str] = None
    retries: int = 0
    replay: Optional[str] = None
    timeout_s: Optional[float] = None
    checkpoint_invariant: Optional[str] = None
    verified_by: Optional[str] = None
    announce_after_s: float = 1.0

    def wire(self) -> Dict[str, Any]:
        """The JSON part stored with the step; the server derives its resume contract from it."""
        out: Dict[str, Any] = {}
        if self.side_effects is not None:
            out["sideEffects"] = list(self.side_effects)
        for key, value in (
            ("idempotencyKey", self.idempotency_key),
            ("replay", self.replay),
            ("checkpointInvariant", self.checkpoint_invariant),
            ("verifiedBy", self.verified_by),
        ):
            if value is not None:
                out[key] = value
        if self.retries:
            out["retries"] = self.retries
        if self.timeout_s is not None:
            out["timeoutMs"] = int(self.timeout_s * 1000)
        return out

    def records_after_running(self) -> bool:
        """A step nobody minds running twice may run before it is recorded."""
        return self.replay in (None, "auto") and all(s == "read" for s in (self.side_effects or []))


@dataclass
class StepLease:
    step_id: str
    lease_owner: str
    lease_epoch: int


def step(ctx: RunContext, name: str, options: StepOptions) -> Protocol[Any]:
    ctx.claim(name)
    input_json = None if options.input is None else to_jsonable(options.input, "step input", strict=False)
    digest = NO_INPUT_HASH if input_json is None else input_hash(input_json)
    cached = ctx.checkpoints.get(name)
    if cached is not None:
        if cached["inputHash"] != digest:
            raise InputMismatchError(ctx.run_id, name, cached["inputHash"], digest)
        return replayed(ctx, name, cached.get("output"))
    try:
        return (yield from execute(ctx, name, options, {"name": name, "inputHash": digest, "input": input_json, "options": options.wire()}))
    except BaseException:
        # A step that failed leaves no result under its name: calling it again is not a duplicate.
        ctx.release(name)
        raise


def replayed(ctx: RunContext, name: str, output: Any) -> Any:
    ctx.journal.append((name, "replayed"))
    return with_attributes(output)


def execute(ctx: RunContext, name: str, options: StepOptions, identity: Dict[str, Any]) -> Protocol[Any]:
    failed: Optional[Exception] = None
    lease: Optional[StepLease] = None
    if options.records_after_running() and not ctx.over_budget:
        announce = Http("POST", f"/runs/{quote(ctx.run_id)}/steps/begin", {**identity, **ctx.fence}, run_id=ctx.run_id)
        first = yield CallAnnounced(StepScope(name, None), options.announce_after_s, announce, options.timeout_s)
        if first.answer_error is not None and not is_transient(first.answer_error):
            raise fenced(ctx, name, first.answer_error)
        if first.answer is not None and first.answer_error is None:
            granted = lease_or_output(ctx, name, first.answer)
            if not isinstance(granted, StepLease):
                return granted.output
            lease = granted
        if first.error is None:
            output = yield from checked_output(ctx, name, lease, first.value)
            if lease is not None:
                yield from complete_step(ctx, name, lease, output)
                return first.value
            return (yield from checkpoint(ctx, name, identity, output, first.value))
        failed = first.error  # type: ignore[assignment]

    retries_left = max(0, int(options.retries))
    attempt = 0
    while True:
        error, failed = failed, None
        if lease is None:
            answer = yield from write(ctx, name, Http("POST", f"/runs/{quote(ctx.run_id)}/steps/begin", {**identity, **ctx.fence}))
            granted = lease_or_output(ctx, name, answer)
            if not isinstance(granted, StepLease):
                return granted.output
            lease = granted
        if error is None:
            try:
                value = yield Call(StepScope(name, lease.step_id), options.timeout_s)
            except Exception as raised:
                error = raised
            else:
                output = yield from checked_output(ctx, name, lease, value)
                yield from complete_step(ctx, name, lease, output)
                return value
        if retries_left > 0:
            retries_left -= 1
            yield from fail_step(ctx, name, lease, error, True)
            yield Sleep(0.1 * 2**attempt)
            attempt += 1
            lease = None
            continue
        final = yield from fail_step(ctx, name, lease, error, False)
        decision = final.get("resumeDecision") or "safe_replay"
        ctx.failures[id(error)] = (error, {"step": name, "resumeDecision": decision})
        raise error


@dataclass
class _Output:
    output: Any


def lease_or_output(ctx: RunContext, name: str, answer: Dict[str, Any]) -> Union[StepLease, _Output]:
    action = answer.get("action")
    if action == "execute":
        step = answer["step"]
        return StepLease(step["id"], answer.get("leaseOwner") or ctx.lease_owner, int(step["attempt"]))
    if action == "return":
        return _Output(replayed(ctx, name, answer.get("output")))
    raise refused(ctx, name, answer)


def refused(ctx: RunContext, name: str, answer: Dict[str, Any]) -> TidebaseError:
    action = answer.get("action")
    step = answer.get("step") or {}
    if action == "input_mismatch":
        return InputMismatchError(ctx.run_id, name, answer.get("expectedInputHash", ""), answer.get("actualInputHash", ""))
    if action == "locked":
        return StepLockedError(ctx.run_id, name, step.get("status"), step.get("resumeDecision"))
    if action == "cancelled":
        return RunCancelledError(ctx.run_id, answer.get("reason"), answer.get("actor"))
    return TidebaseError(f"unexpected answer to step {name}: {answer!r}")


def fenced(ctx: RunContext, name: Optional[str], error: BaseException) -> BaseException:
    """Someone else finished or took over the run: this invocation's writes are stale either way."""
    if isinstance(error, (RunAlreadyCompletedError, LeaseLostError)) or getattr(error, "code", None) == "step_not_found":
        return LeaseLostError(ctx.run_id, name, status=getattr(error, "status", None), body=getattr(error, "body", None))
    return error


def write(ctx: RunContext, name: Optional[str], op: Http) -> Protocol[Any]:
    op.run_id = ctx.run_id
    try:
        return (yield op)
    except TidebaseError as error:
        raise fenced(ctx, name, error) from None


def checked_output(ctx: RunContext, name: str, lease: Optional[StepLease], value: Any) -> Protocol[Any]:
    """The output as JSON; one JSON cannot store is refused before anything is written (and a begun step is failed)."""
    try:
        return to_jsonable(value, f"the output of step {name}")
    except UnserializableError as error:
        if lease is not None:
            try:
                yield from fail_step(ctx, name, lease, error, False)
            except TidebaseError:
                pass
        raise


def checkpoint(ctx: RunContext, name: str, identity: Dict[str, Any], output: Any, value: Any) -> Protocol[Any]:
    body = {**identity, "output": output, **ctx.fence}
    try:
        answer = yield from write(ctx, name, Http("POST", f"/runs/{quote(ctx.run_id)}/steps/checkpoint", body))
    except BudgetExceededError:
        # The step already ran, so the server kept its checkpoint before stopping the run.
        ctx.journal.append((name, "executed"))
        raise
    if answer.get("action") == "recorded":
        ctx.journal.append((name, "executed"))
        return value
    if answer.get("action") == "return":
        return replayed(ctx, name, answer.get("output"))
    raise refused(ctx, name, answer)


def complete_step(ctx: RunContext, name: str, lease: StepLease, output: Any) -> Protocol[None]:
    body = {"leaseOwner": lease.lease_owner, "leaseEpoch": lease.lease_epoch, "output": output}
    yield from write(ctx, name, Http("POST", f"/runs/{quote(ctx.run_id)}/steps/{quote(lease.step_id)}/complete", body))
    ctx.journal.append((name, "executed"))


def fail_step(ctx: RunContext, name: str, lease: StepLease, error: BaseException, retryable: bool) -> Protocol[Dict[str, Any]]:
    body = {"leaseOwner": lease.lease_owner, "leaseEpoch": lease.lease_epoch, "error": error_json(error), "retryable": retryable}
    answer = yield from write(ctx, name, Http("POST", f"/runs/{quote(ctx.run_id)}/steps/{quote(lease.step_id)}/fail", body))
    return answer["step"]

