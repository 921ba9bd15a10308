"""Run state (versioned on every write), snapshots and the usage ledger, each write fenced by the run lease."""

from __future__ import annotations

from typing import Any, Dict, Optional

from .context import RunContext, current_step, usage_key
from .errors import StateNotFoundError
from .jsonvalue import to_jsonable, with_attributes
from .ops import Http, Protocol
from .step_protocol import write
from .transport import quote

_VERSION_FIELDS = {"reason": "reason", "importance": "importance", "metadata": "metadata", "created_by": "createdBy"}
_USAGE_FIELDS = {
    "kind": "kind",
    "provider": "provider",
    "model": "model",
    "label": "label",
    "quantity": "quantity",
    "unit": "unit",
    "input_tokens": "inputTokens",
    "output_tokens": "outputTokens",
    "total_tokens": "totalTokens",
    "cost_usd": "costUsd",
    "metadata": "metadata",
    "idempotency_key": "idempotencyKey",
}
#: "Not given", as opposed to None (explicitly no step).
UNSET: Any = object()


def _fields(options: Dict[str, Any], names: Dict[str, str]) -> Dict[str, Any]:
    return {names[k]: to_jsonable(v, k) for k, v in options.items() if k in names and v is not None}


def _fence(ctx: RunContext) -> Dict[str, Any]:
    scope = current_step.get()
    return {**ctx.fence, "stepId": scope.step_id if scope is not None else None}


def write_state(ctx: RunContext, method: str, value: Any, options: Dict[str, Any]) -> Protocol[Dict[str, Any]]:
    """PUT replaces the stream's value; PATCH merges the keys given into it (shallow). Both append a version."""
    body: Dict[str, Any] = {"value": to_jsonable(value, "the state"), **_fields(options, _VERSION_FIELDS)}
    for key in ("stream", "label"):
        if options.get(key) is not None:
            body[key] = options[key]
    body.update(_fence(ctx))
    scope = current_step.get()
    answer = yield from write(ctx, scope.name if scope else None, Http(method, f"/runs/{quote(ctx.run_id)}/state", body))
    return answer["state"]


def get_state(ctx: RunContext, stream: Optional[str]) -> Protocol[Any]:
    query = {"stream": stream or f"run:{ctx.run_id}"}
    answer = yield Http("GET", f"/runs/{quote(ctx.run_id)}/state", query=query, run_id=ctx.run_id)
    state = answer.get("state")
    return None if state is None else with_attributes(state.get("value"))


def save_state(ctx: RunContext, label: str, options: Dict[str, Any]) -> Protocol[Dict[str, Any]]:
    body: Dict[str, Any] = {"label": label, **_fields(options, _VERSION_FIELDS), **_fence(ctx)}
    if options.get("stream") is not None:
        body["stream"] = options["stream"]
    try:
        answer = yield from write(ctx, None, Http("POST", f"/runs/{quote(ctx.run_id)}/state/save", body))
    except StateNotFoundError as error:
        stream = options.get("stream") or f"run:{ctx.run_id}"
        raise StateNotFoundError(
            f"run {ctx.run_id} has no state in stream {stream} to save: set it first", status=error.status, code=error.code
        ) from None
    return answer["stateVersion"]


def state_versions(ctx: RunContext, stream: Optional[str], labeled: Optional[bool]) -> Protocol[Any]:
    query = {"stream": stream, "labeled": labeled}
    answer = yield Http("GET", f"/runs/{quote(ctx.run_id)}/state/versions", query=query, run_id=ctx.run_id)
    return answer["stateVersions"]


def snapshot(ctx: RunContext, label: str, state: Any, options: Dict[str, Any]) -> Protocol[Dict[str, Any]]:
    body: Dict[str, Any] = {"label": label, "state": to_jsonable(state, "the snapshot"), **_fields(options, _VERSION_FIELDS)}
    target = options.get("target")
    if target is not None:
        body["target"] = dict(target)
    body.update(_fence(ctx))
    answer = yield from write(ctx, None, Http("POST", f"/runs/{quote(ctx.run_id)}/snapshots", body))
    return answer["snapshot"]


def record_usage(ctx: RunContext, fields: Dict[str, Any]) -> Protocol[Dict[str, Any]]:
    """Adds a record to the run's ledger, keyed before its first attempt so a retried request counts once.

    Tied to the step it is made in; a step replayed from its checkpoint does not run, so it records nothing again.
    """
    scope = current_step.get()
    body = _fields(fields, _USAGE_FIELDS)
    step_id = fields.get("step_id", UNSET)
    body["stepId"] = (scope.step_id if scope is not None else None) if step_id is UNSET else step_id
    body.setdefault("idempotencyKey", usage_key(ctx.run_id, scope))
    answer = yield Http("POST", f"/runs/{quote(ctx.run_id)}/usage", body, run_id=ctx.run_id)
    if answer.get("budgetExceeded"):
        ctx.over_budget = True
    return answer
