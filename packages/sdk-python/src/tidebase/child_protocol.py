"""Child runs: made once per parent and name, run here when their workflow is registered, joined by their events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

from .context import RunContext
from .errors import ChildRunFailedError, ChildRunIdTakenError
from .jsonvalue import to_jsonable, with_attributes
from .ops import Http, Parallel, Protocol, RunHere, Sleep, WaitEvent
from .step_protocol import write
from .transport import quote

TERMINAL = ("completed", "failed", "cancelled")
WAIT_S = 30.0
RECONNECT_PAUSE_S = 0.25

_OPTIONS = {
    "run_id": "runId",
    "metadata": "metadata",
    "recovery_webhook": "recoveryWebhook",
    "channels": "channels",
    "edge_type": "edgeType",
    "edge_metadata": "edgeMetadata",
}


@dataclass
class ChildSpec:
    """One child of a fan-out: `name` is its idempotency key under the parent."""

    name: str
    workflow_name: str
    input: Any = None
    options: Dict[str, Any] = field(default_factory=dict)


ChildLike = Union[ChildSpec, Mapping[str, Any], Tuple[Any, ...]]


def as_spec(child: ChildLike) -> ChildSpec:
    """A ChildSpec, a dict (`name`, `workflow_name` or `workflowName`, `input`, options) or a tuple (name, workflow, input)."""
    if isinstance(child, ChildSpec):
        return child
    if isinstance(child, tuple):
        return ChildSpec(child[0], child[1], child[2] if len(child) > 2 else None)
    fields = dict(child)
    workflow = fields.pop("workflow_name", None) or fields.pop("workflowName")
    name = fields.pop("name")
    input_value = fields.pop("input", None)
    options = dict(fields.pop("options", None) or {})
    options.update(fields)
    return ChildSpec(name, workflow, input_value, options)


def create_child(ctx: RunContext, spec: ChildSpec) -> Protocol[Dict[str, Any]]:
    body: Dict[str, Any] = {
        "name": spec.name,
        "workflowName": spec.workflow_name,
        "input": {} if spec.input is None else to_jsonable(spec.input, "child input"),
    }
    for key, value in spec.options.items():
        if value is not None:
            body[_OPTIONS.get(key, key)] = to_jsonable(value, key)
    try:
        return (yield from write(ctx, None, Http("POST", f"/runs/{quote(ctx.run_id)}/children", body)))
    except ChildRunIdTakenError as error:
        raise ChildRunIdTakenError(
            f"run {spec.options.get('run_id')} already exists, so it cannot be child {spec.name} of run {ctx.run_id}",
            status=error.status,
            code=error.code,
            body=error.body,
        ) from None


def outcome(ctx: RunContext, spec: ChildSpec, child_id: str, status: str, result: Any, error: Any) -> Any:
    if status == "completed":
        return with_attributes(result)
    raise ChildRunFailedError(ctx.run_id, spec.name, child_id, "cancelled" if status == "cancelled" else "failed", error)


def finish_child(ctx: RunContext, spec: ChildSpec, made: Dict[str, Any]) -> Protocol[Any]:
    """Runs the child here when its workflow is registered and it is not over, then joins it."""
    if made["run"]["status"] not in TERMINAL:
        ran = yield RunHere(spec.workflow_name, made["run"]["id"])
        if ran:
            made = yield from create_child(ctx, spec)
    return (yield from join_child(ctx, spec, made))


def join_child(ctx: RunContext, spec: ChildSpec, made: Dict[str, Any]) -> Protocol[Any]:
    """Waits for the child to finish, woken by its events; a dropped stream asks for the child again."""
    child = made
    while True:
        run = child["run"]
        if run["status"] in TERMINAL:
            return outcome(ctx, spec, run["id"], run["status"], run.get("result"), run.get("error"))
        types = [f"run.{s}" for s in TERMINAL]
        ended: Optional[Dict[str, Any]] = yield WaitEvent(
            run["id"], int(child.get("seq") or 0), types, lambda e: e.get("type") in types, WAIT_S
        )
        if ended is not None:
            payload = ended.get("payload") or {}
            status = str(ended["type"])[len("run.") :]
            return outcome(ctx, spec, run["id"], status, payload.get("result"), payload.get("error", payload))
        yield Sleep(RECONNECT_PAUSE_S)
        child = yield from create_child(ctx, spec)


def child(ctx: RunContext, spec: ChildSpec) -> Protocol[Any]:
    made = yield from create_child(ctx, spec)
    return (yield from finish_child(ctx, spec, made))


def fanout(ctx: RunContext, specs: Sequence[ChildSpec]) -> Protocol[Any]:
    """Makes every child first (each once), then runs or waits for all: their results in the order given."""
    made = yield Parallel([create_child(ctx, spec) for spec in specs])
    return (yield Parallel([finish_child(ctx, spec, m) for spec, m in zip(specs, made)]))
