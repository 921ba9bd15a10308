"""The SDK's exceptions: every one is a TidebaseError with the HTTP `status` and wire `code` when a server said so."""

from __future__ import annotations

from typing import Any, Dict, Optional


class TidebaseError(Exception):
    """Base class. `status` is the HTTP status and `code` the server's machine code (None when raised client-side)."""

    status: Optional[int]
    code: Optional[str]
    body: Any

    def __init__(self, message: str, *, status: Optional[int] = None, code: Optional[str] = None, body: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.body = body


class TidebaseRequestError(TidebaseError):
    """The server could not be reached, refused the request (400, 401) or answered something that is not Tidebase's."""


class RunNotFoundError(TidebaseError):
    def __init__(self, run_id: str, **kw: Any) -> None:
        kw.setdefault("status", 404)
        kw.setdefault("code", "run_not_found")
        super().__init__(f"run {run_id} not found", **kw)
        self.run_id = run_id


class RunCancelledError(TidebaseError):
    """Cancellation is authoritative: the run stops at its next step or gate boundary."""

    def __init__(self, run_id: str, reason: Optional[str] = None, actor: Optional[str] = None, **kw: Any) -> None:
        kw.setdefault("status", 409)
        kw.setdefault("code", "run_cancelled")
        super().__init__(f"run {run_id} is cancelled" + ("" if reason is None else f": {reason}"), **kw)
        self.run_id = run_id
        self.reason = reason
        self.actor = actor


class LeaseLostError(TidebaseError):
    """Another worker took the run over (or it ended): this invocation's writes are fenced off."""

    def __init__(self, run_id: str, step: Optional[str] = None, **kw: Any) -> None:
        kw.setdefault("code", "lease_lost")
        super().__init__(f"lease lost on run {run_id}" + ("" if step is None else f" at step {step}"), **kw)
        self.run_id = run_id
        self.step = step


class LeaseHeldError(TidebaseError):
    """Another owner's lease on the run is live (the SDK waits it out before raising this)."""


class WorkflowMismatchError(TidebaseError):
    def __init__(self, run_id: str, workflow_name: str, run_workflow_name: str, **kw: Any) -> None:
        kw.setdefault("code", "workflow_mismatch")
        super().__init__(
            f'run {run_id} belongs to workflow "{run_workflow_name}", not "{workflow_name}": '
            f'give each workflow\'s runs their own ids (e.g. "{workflow_name}:<id>")',
            **kw,
        )
        self.run_id = run_id
        self.workflow_name = workflow_name
        self.run_workflow_name = run_workflow_name


class RunAlreadyCompletedError(TidebaseError):
    """The run is completed: it cannot be cancelled, and a worker's write to it is refused."""


class RunFailedError(TidebaseError):
    """The run failed for good (a person failed a parked step): no invocation runs it again."""

    def __init__(self, run_id: str, failure_class: Optional[str], error: Any) -> None:
        reason = error.get("message") if isinstance(error, dict) else None
        super().__init__(
            f"run {run_id} failed for good ({failure_class or 'failed'})" + (f": {reason}" if isinstance(reason, str) else ""),
            code="run_failed",
        )
        self.run_id = run_id
        self.failure_class = failure_class
        self.error = error


class NoRecoveryWebhookError(TidebaseError):
    pass


class BudgetExceededError(TidebaseError):
    """The run went over its budget: the server stopped it at this step boundary."""


class StateNotFoundError(TidebaseError):
    pass


class GateResolveRefusedError(TidebaseError):
    """A gate decides once: a second decision, a wrong token or an unknown gate is refused."""


class StepNotResolvableError(TidebaseError):
    pass


class ChildRunIdTakenError(TidebaseError):
    pass


class InputMismatchError(TidebaseError):
    """A checkpoint exists under this step name for different input: replaying it would be wrong."""

    def __init__(self, run_id: str, step: str, expected_input_hash: str, actual_input_hash: str) -> None:
        super().__init__(
            f"step {step} of run {run_id} was checkpointed for input {expected_input_hash}, not {actual_input_hash}",
            code="input_mismatch",
        )
        self.run_id = run_id
        self.step = step
        self.expected_input_hash = expected_input_hash
        self.actual_input_hash = actual_input_hash


class StepLockedError(TidebaseError):
    """The step may not run now: another holder's lease is live, or its failure awaits a person."""

    def __init__(self, run_id: str, step: str, status: Optional[str], resume_decision: Optional[str]) -> None:
        super().__init__(f"step {step} of run {run_id} is locked ({resume_decision or status})", code="step_locked")
        self.run_id = run_id
        self.step = step
        self.step_status = status
        self.resume_decision = resume_decision


class DuplicateStepNameError(TidebaseError):
    def __init__(self, run_id: str, step: str) -> None:
        super().__init__(
            f'step name "{step}" is used twice in one invocation of run {run_id}: '
            f'give each call its own name, e.g. f"{step}:{{i}}" in a loop',
            code="duplicate_step_name",
        )
        self.run_id = run_id
        self.step = step


class UnserializableError(TidebaseError):
    """A value JSON cannot store faithfully (NaN, infinity, nesting too deep): refused before it is written."""

    def __init__(self, what: str, path: str, found: str) -> None:
        super().__init__(f"{what} cannot be stored as JSON: {path} is {found}", code="unserializable")
        self.path = path
        self.found = found


class StepTimeoutError(TidebaseError):
    def __init__(self, step: str, timeout_s: float) -> None:
        super().__init__(f"step {step} timed out after {timeout_s:g}s", code="step_timeout")
        self.step = step
        self.timeout_s = timeout_s


class ChildRunFailedError(TidebaseError):
    """The child run ended without a result: it failed, or it was cancelled."""

    def __init__(self, parent_run_id: str, name: str, child_run_id: str, status: str, error: Any) -> None:
        super().__init__(f"child run {child_run_id} ({name}) of run {parent_run_id} {status}", code="child_run_failed")
        self.parent_run_id = parent_run_id
        self.name = name
        self.child_run_id = child_run_id
        self.child_status = status
        self.error = error


_BY_CODE = {
    "run_cancelled": RunCancelledError,
    "lease_lost": LeaseLostError,
    "lease_held": LeaseHeldError,
    "workflow_mismatch": WorkflowMismatchError,
    "run_completed": RunAlreadyCompletedError,
    "no_recovery_webhook": NoRecoveryWebhookError,
    "budget_exceeded": BudgetExceededError,
    "state_not_found": StateNotFoundError,
    "gate_resolved": GateResolveRefusedError,
    "gate_token_mismatch": GateResolveRefusedError,
    "step_not_resolvable": StepNotResolvableError,
    "run_id_taken": ChildRunIdTakenError,
}


def error_from_response(status: int, body: Any, run_id: Optional[str], where: str) -> TidebaseError:
    """The exception for a non-2xx answer, by its wire `code` first, else by its status."""
    payload = body if isinstance(body, dict) else {}
    code = payload.get("code") if isinstance(payload.get("code"), str) else None
    text = payload.get("error") if isinstance(payload.get("error"), str) else None
    message = f"{where}: {text or str(body)[:300]}"
    run: Dict[str, Any] = payload["run"] if isinstance(payload.get("run"), dict) else {}
    if code == "run_not_found" or (status == 404 and code is None and run_id is not None):
        return RunNotFoundError(run_id or "", status=status, code=code, body=body)
    if code == "run_cancelled":
        return RunCancelledError(run_id or "", run.get("cancelReason"), run.get("cancelActor"), status=status, body=body)
    if code == "lease_lost":
        return LeaseLostError(run_id or "", status=status, body=body)
    cls = _BY_CODE.get(code or "")
    if cls is not None and cls not in (RunCancelledError, LeaseLostError, WorkflowMismatchError):
        return cls(message, status=status, code=code, body=body)
    if code == "workflow_mismatch":
        return WorkflowMismatchError(run_id or "", "", str(run.get("workflowName", "")), status=status, body=body)
    if status == 401:
        message += " (set TIDEBASE_API_KEY, or api_key=, to the server's key)"
    if status == 409 and code is None and "leaseOwner" in payload:
        # v0.6 answers a held lease with {error, leaseOwner} and no code.
        return LeaseHeldError(message, status=status, code="lease_held", body=body)
    return TidebaseError(message, status=status, code=code, body=body) if status in (404, 409, 422) else TidebaseRequestError(
        message, status=status, code=code, body=body
    )


class SessionClosedError(TidebaseError):
    """A write on a session that has ended: completed, failed, or lost to another worker (or cancelled)."""

    def __init__(self, run_id: str, reason: str) -> None:
        super().__init__(f"session on run {run_id} is closed ({reason})", code="session_closed")
        self.run_id = run_id
        #: "completed", "failed", "lease_lost" or "cancelled".
        self.reason = reason
