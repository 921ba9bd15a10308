"""A run's lease from begin to complete or fail, as the TypeScript SDK takes it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from .context import RunContext
from .errors import (
    BudgetExceededError,
    InputMismatchError,
    LeaseHeldError,
    LeaseLostError,
    RunAlreadyCompletedError,
    RunCancelledError,
    RunFailedError,
    RunNotFoundError,
    StepLockedError,
    TidebaseError,
    WorkflowMismatchError,
)
from .jsonvalue import error_json, to_jsonable, with_attributes
from .ops import Http, Protocol, Sleep
from .transport import quote


@dataclass
class Started:
    run: Dict[str, Any]
    #: None when the run was already over: its stored result is the answer.
    lease_owner: Optional[str]
    seq: int
    checkpoints: List[Dict[str, Any]]


def create_payload(options: Dict[str, Any]) -> Dict[str, Any]:
    """The fields a new run is made with, JSON-ready, leaving out what was not given."""
    wire = {
        "input": "input",
        "metadata": "metadata",
        "recovery_webhook": "recoveryWebhook",
        "channels": "channels",
        "budget": "budget",
        "deadline_ms": "deadlineMs",
    }
    return {wire[k]: to_jsonable(v, k) for k, v in options.items() if k in wire and v is not None}


def start(workflow_name: str, run_id: str, owner: str, create: Dict[str, Any], lease_ms: Optional[int]) -> Protocol[Started]:
    """Begins the run, creating it in the same request when the server does not know it yet.

    A server without create-on-begin answers 404: the run is then created first, then begun.
    Checkpoints are read unless this begin made the run (a new run has none).
    """
    try:
        answer, waited = yield from acquire(workflow_name, run_id, owner, lease_ms, create)
        fresh = answer.get("created") is True and not waited
    except RunNotFoundError:
        made = yield Http("POST", f"/runs/{quote(workflow_name)}", {**create, "runId": run_id}, run_id=run_id)
        if made["run"]["workflowName"] != workflow_name:
            raise WorkflowMismatchError(run_id, workflow_name, made["run"]["workflowName"]) from None
        answer, waited = yield from acquire(workflow_name, run_id, owner, lease_ms, None)
        fresh = made.get("created") is True and not waited
    checkpoints: List[Dict[str, Any]] = []
    if answer.get("leaseOwner") is not None and not fresh:
        read = yield Http("GET", f"/runs/{quote(run_id)}/checkpoints", run_id=run_id)
        checkpoints = list(read.get("checkpoints", []))
    return Started(answer["run"], answer.get("leaseOwner"), int(answer.get("seq") or 0), checkpoints)


def acquire(workflow_name: str, run_id: str, owner: str, lease_ms: Optional[int], create: Optional[Dict[str, Any]]):
    """Begin as `owner`, waiting while another owner's lease is live (it completes the run or lets it go)."""
    body: Dict[str, Any] = {"workflowName": workflow_name}
    if lease_ms is not None:
        body["leaseMs"] = lease_ms
    if create is not None:
        body["create"] = create
    delay, attempts = 0.02, 0
    while True:
        attempts += 1
        try:
            answer = yield Http("POST", f"/runs/{quote(run_id)}/begin", body, headers={"x-tidebase-worker": owner}, run_id=run_id)
            return answer, attempts > 1
        except LeaseHeldError:
            yield Sleep(random.uniform(0.5, 1.0) * min(delay, 0.25))
            delay *= 2
        except WorkflowMismatchError as error:
            raise WorkflowMismatchError(run_id, workflow_name, error.run_workflow_name) from None


def stored_result(run: Dict[str, Any]) -> Any:
    """A begin of a finished run: a completed one's result is the answer, a failed-for-good one raises."""
    if run.get("status") == "failed":
        raise RunFailedError(run["id"], run.get("failureClass"), run.get("error"))
    return with_attributes(run.get("result"))


def complete(ctx: RunContext, result: Any) -> Protocol[Any]:
    body = {"result": to_jsonable(result, "the run's result"), **ctx.fence}
    try:
        answer = yield Http("POST", f"/runs/{quote(ctx.run_id)}/complete", body, run_id=ctx.run_id)
    except (RunAlreadyCompletedError, LeaseLostError) as error:
        raise LeaseLostError(ctx.run_id, status=error.status, body=error.body) from None
    run = answer["run"]
    if run.get("status") == "cancelled":
        raise RunCancelledError(ctx.run_id, run.get("cancelReason"), run.get("cancelActor"))
    return result


#: Not ours to fail: fenced off, cancelled, or stopped by the server for its budget.
NOT_OURS = (RunCancelledError, LeaseLostError, BudgetExceededError, RunFailedError)


def fail(ctx: RunContext, error: BaseException) -> Protocol[None]:
    if isinstance(error, NOT_OURS):
        return
    body = {**describe_failure(ctx, error), **ctx.fence}
    try:
        yield Http("POST", f"/runs/{quote(ctx.run_id)}/fail", body, run_id=ctx.run_id)
    except TidebaseError:
        pass


def describe_failure(ctx: RunContext, error: BaseException) -> Dict[str, Any]:
    """A step's final failure classifies the run by the step's resume decision."""
    if isinstance(error, StepLockedError):
        return {"error": {**error_json(error), "step": error.step}, "failureClass": error.resume_decision or "step_locked"}
    if isinstance(error, InputMismatchError):
        return {"error": {**error_json(error), "step": error.step}, "failureClass": "input_mismatch"}
    failed = ctx.failures.get(id(error))
    if failed is not None and failed[0] is error:
        return {"error": {**error_json(error), **failed[1]}, "failureClass": failed[1]["resumeDecision"]}
    return {"error": error_json(error), "failureClass": None}


def release(ctx: RunContext) -> Protocol[None]:
    """Gives the lease back, so an immediate re-run resumes at once instead of waiting for it to expire."""
    try:
        yield Http("POST", f"/runs/{quote(ctx.run_id)}/release", ctx.fence, run_id=ctx.run_id, timeout_s=1.0)
    except TidebaseError:
        pass


def heartbeat(ctx: RunContext, lease_ms: Optional[int]) -> Protocol[Any]:
    body: Dict[str, Any] = dict(ctx.fence)
    if lease_ms is not None:
        body["leaseMs"] = lease_ms
    try:
        return (yield Http("POST", f"/runs/{quote(ctx.run_id)}/heartbeat", body, run_id=ctx.run_id))
    except RunAlreadyCompletedError as error:
        raise LeaseLostError(ctx.run_id, status=error.status, body=error.body) from None
