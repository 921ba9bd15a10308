"""The routes outside a workflow (runs, gates, steps, queues, schedules) as protocols both clients drive."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from .context import new_run_id
from .errors import RunNotFoundError, TidebaseError
from .jsonvalue import js_datetime, to_jsonable
from .ops import Http, Protocol
from .transport import quote

#: Marks an argument that was not given, as opposed to None (which clears a setting).
UNSET: Any = object()


def _given(fields: Dict[str, Any]) -> Dict[str, Any]:
    return {k: to_jsonable(v, k) for k, v in fields.items() if v is not None and v is not UNSET}


def create_run(workflow_name: str, fields: Dict[str, Any]) -> Protocol[Dict[str, Any]]:
    # An id made here keeps a create retried after a lost answer to one run.
    body = _given(fields)
    body.setdefault("runId", new_run_id())
    answer = yield Http("POST", f"/runs/{quote(workflow_name)}", body, run_id=body["runId"])
    return answer["run"]


def get_run(run_id: str) -> Protocol[Dict[str, Any]]:
    return (yield Http("GET", f"/runs/{quote(run_id)}", run_id=run_id))


def list_runs(query: Dict[str, Any]) -> Protocol[List[Dict[str, Any]]]:
    answer = yield Http("GET", "/runs", query=query)
    return answer["runs"]


def checkpoints(run_id: str) -> Protocol[List[Dict[str, Any]]]:
    answer = yield Http("GET", f"/runs/{quote(run_id)}/checkpoints", run_id=run_id)
    return answer["checkpoints"]


def events(run_id: str, after: int) -> Protocol[List[Dict[str, Any]]]:
    answer = yield Http("GET", f"/runs/{quote(run_id)}/events", query={"after": after}, run_id=run_id)
    return answer["events"]


def cancel_run(run_id: str, reason: Optional[str], actor: Optional[str]) -> Protocol[Dict[str, Any]]:
    answer = yield Http("POST", f"/runs/{quote(run_id)}/cancel", {"reason": reason, "actor": actor}, run_id=run_id)
    return answer["run"]


def recover_run(run_id: str, reason: Optional[str]) -> Protocol[Dict[str, Any]]:
    answer = yield Http("POST", f"/runs/{quote(run_id)}/recover", {"reason": reason}, run_id=run_id)
    return answer["recoveryAttempt"]


def set_budget(run_id: str, budget: Optional[Dict[str, Any]]) -> Protocol[Dict[str, Any]]:
    answer = yield Http("PATCH", f"/runs/{quote(run_id)}", {"budget": budget}, run_id=run_id)
    return answer["run"]


def resolve_gate(run_id: str, gate_id: str, body: Dict[str, Any]) -> Protocol[Dict[str, Any]]:
    answer = yield Http("POST", f"/runs/{quote(run_id)}/gates/{quote(gate_id)}/resolve", _given(body), run_id=run_id)
    return answer["gate"]


def get_gate(run_id: str, gate_id: str) -> Protocol[Dict[str, Any]]:
    return (yield Http("GET", f"/runs/{quote(run_id)}/gates/{quote(gate_id)}", run_id=run_id))


def resolve_step(run_id: str, step_id: str, body: Dict[str, Any]) -> Protocol[Dict[str, Any]]:
    return (yield Http("POST", f"/runs/{quote(run_id)}/steps/{quote(step_id)}/resolve", _given(body), run_id=run_id))


def enqueue(workflow_name: str, queue: str, fields: Dict[str, Any]) -> Protocol[Dict[str, Any]]:
    """Writes a durable queued run; an id made here keeps a retried enqueue to one run."""
    run_at = fields.get("runAt")
    if run_at is not None and not isinstance(run_at, str):
        fields = {**fields, "runAt": js_datetime(run_at)}
    body = {"workflowName": workflow_name, **_given(fields)}
    body.setdefault("runId", new_run_id())
    return (yield Http("POST", f"/queues/{quote(queue)}/enqueue", body))


def claim(queues: Sequence[str], lease_owner: str, limit: int, wait_ms: Optional[int]) -> Protocol[Dict[str, Any]]:
    body: Dict[str, Any] = {"queues": list(queues), "leaseOwner": lease_owner, "limit": limit}
    if wait_ms is not None:
        body["waitMs"] = wait_ms
    return (yield Http("POST", "/queues/claim", body, timeout_s=(wait_ms or 0) / 1000 + 30))


def list_queues() -> Protocol[List[Dict[str, Any]]]:
    answer = yield Http("GET", "/queues")
    return answer["queues"]


def configure_queue(queue: str, settings: Dict[str, Any]) -> Protocol[Dict[str, Any]]:
    body = {k: v for k, v in settings.items() if v is not UNSET}
    answer = yield Http("PUT", f"/queues/{quote(queue)}/config", body)
    return answer["config"]


def set_schedule(name: str, fields: Dict[str, Any]) -> Protocol[Dict[str, Any]]:
    answer = yield Http("PUT", f"/schedules/{quote(name)}", _given(fields))
    return answer["schedule"]


def list_schedules() -> Protocol[List[Dict[str, Any]]]:
    answer = yield Http("GET", "/schedules")
    return answer["schedules"]


def delete_schedule(name: str) -> Protocol[bool]:
    try:
        yield Http("DELETE", f"/schedules/{quote(name)}")
        return True
    except (RunNotFoundError, TidebaseError) as error:
        if error.status == 404:
            return False
        raise


def fail_unknown(run: Dict[str, Any], lease_owner: str) -> Protocol[None]:
    """A claimed run of a workflow this worker does not have is failed, so it is requeued for one that has it."""
    error = {"code": "unknown_workflow", "message": f"worker {lease_owner} has no workflow named {run['workflowName']}"}
    try:
        yield Http("POST", f"/runs/{quote(run['id'])}/fail", {"error": error, "leaseOwner": lease_owner}, run_id=run["id"])
    except TidebaseError:
        pass


def release_claim(run: Dict[str, Any], lease_owner: str) -> Protocol[None]:
    """Gives a claimed run back (a worker stopping): it is requeued like an expired one."""
    try:
        yield Http("POST", f"/runs/{quote(run['id'])}/release", {"leaseOwner": lease_owner}, run_id=run["id"], timeout_s=2.0)
    except TidebaseError:
        pass
