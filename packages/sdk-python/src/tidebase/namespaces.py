"""`tide.runs`, `tide.gates`, `tide.steps`, `tide.queues` and `tide.schedules` of the blocking client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

from . import api_protocol as api
from .api_protocol import UNSET
from .ops import IO, drive

if TYPE_CHECKING:
    from .client import Tidebase
    from .errors import TidebaseError
    from .session import AttachTarget, Session


class Runs:
    def __init__(self, io: IO, client: Optional["Tidebase"] = None) -> None:
        self._io = io
        self._client = client

    def attach(
        self,
        target: Optional["AttachTarget"] = None,
        *,
        on_lease_lost: Optional[Callable[["TidebaseError"], None]] = None,
        **run_options: Any,
    ) -> "Session":
        """A session on a run, driven step by step without a workflow function.

        `attach(run_id)` resumes an existing run; `attach({"workflow_name": ..., "input": ..., "run_id": ...})`
        (or the same as keyword arguments, with any other `tide.run` option such as `lease_ms`) creates
        one, or resumes it when `run_id` names one. Raises SessionClosedError when the run is already
        completed. `on_lease_lost(refusal)` is called once if another worker takes the run over (or it is
        cancelled): the session is closed then.
        """
        from .session import attach

        if self._client is None:
            raise RuntimeError("attach needs the client: use tide.runs of a Tidebase")
        return attach(self._client, target, on_lease_lost, run_options)

    def create(
        self,
        workflow_name: str,
        run_id: Optional[str] = None,
        input: Any = None,
        *,
        metadata: Any = None,
        recovery_webhook: Optional[str] = None,
        channels: Any = None,
        budget: Optional[Dict[str, Any]] = None,
    ) -> Dict[str, Any]:
        """Creates a run without executing anything (or, with a known `run_id`, answers that run)."""
        fields = {"runId": run_id, "input": input, "metadata": metadata, "recoveryWebhook": recovery_webhook, "channels": channels, "budget": budget}
        return drive(api.create_run(workflow_name, fields), self._io)

    def get(self, run_id: str) -> Dict[str, Any]:
        """The run with its steps, state, state versions, child runs, gates, usage ledger and events (GET /runs/:id)."""
        return drive(api.get_run(run_id), self._io)

    def list(self, status: Optional[str] = None, workflow_name: Optional[str] = None, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        return drive(api.list_runs({"status": status, "workflowName": workflow_name, "limit": limit}), self._io)

    def checkpoints(self, run_id: str) -> List[Dict[str, Any]]:
        """Every completed step of the run: name, inputHash, output."""
        return drive(api.checkpoints(run_id), self._io)

    def events(self, run_id: str, after: int = 0) -> List[Dict[str, Any]]:
        return drive(api.events(run_id, after), self._io)

    def cancel(self, run_id: str, reason: Optional[str] = None, actor: Optional[str] = None) -> Dict[str, Any]:
        """Stops the run for good at its next step or gate boundary; its pending gates resolve `canceled`."""
        return drive(api.cancel_run(run_id, reason, actor), self._io)

    def recover(self, run_id: str, reason: Optional[str] = None) -> Dict[str, Any]:
        """Sends the run's recovery webhook a `run.resume` now (NoRecoveryWebhookError when it has none)."""
        return drive(api.recover_run(run_id, reason), self._io)

    def set_budget(self, run_id: str, budget: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        """Sets ({"maxCostUsd", "maxTotalTokens"}) or, with None, clears the run's budget."""
        return drive(api.set_budget(run_id, budget), self._io)


class Gates:
    def __init__(self, io: IO) -> None:
        self._io = io

    def resolve(self, run_id: str, gate_id: str, token: str, decision: str, actor: Optional[str] = None, payload: Any = None) -> Dict[str, Any]:
        """Decides a gate exactly once (GateResolveRefusedError for a second decision or a wrong token)."""
        body = {"token": token, "decision": decision, "actor": actor, "payload": payload}
        return drive(api.resolve_gate(run_id, gate_id, body), self._io)

    def get(self, run_id: str, gate_id: str) -> Dict[str, Any]:
        return drive(api.get_gate(run_id, gate_id), self._io)


class Steps:
    def __init__(self, io: IO) -> None:
        self._io = io

    def resolve(self, run_id: str, step_id: str, action: str, actor: str, output: Any = None, reason: Optional[str] = None) -> Dict[str, Any]:
        """A person's decision on a parked step: `retry`, `complete` (recording `output`) or `fail`."""
        body = {"action": action, "actor": actor, "output": output, "reason": reason}
        return drive(api.resolve_step(run_id, step_id, body), self._io)


class Queues:
    def __init__(self, io: IO) -> None:
        self._io = io

    def list(self) -> List[Dict[str, Any]]:
        return drive(api.list_queues(), self._io)

    def configure(self, queue: str, *, concurrency: Any = UNSET, rate_per_minute: Any = UNSET, invoke_url: Any = UNSET) -> Dict[str, Any]:
        """Changes a queue's concurrency cap, rate limit or push URL; None clears one, leaving it out keeps it."""
        settings = {"concurrency": concurrency, "ratePerMinute": rate_per_minute, "invokeUrl": invoke_url}
        return drive(api.configure_queue(queue, settings), self._io)

    def claim(self, queues: Sequence[str], lease_owner: str, limit: int = 1, wait_ms: Optional[int] = None) -> Dict[str, Any]:
        return drive(api.claim(queues, lease_owner, limit, wait_ms), self._io)


class Schedules:
    def __init__(self, io: IO) -> None:
        self._io = io

    def set(
        self,
        name: str,
        cron: str,
        workflow_name: str,
        input: Any = None,
        *,
        queue: Optional[str] = None,
        max_attempts: Optional[int] = None,
        enabled: Optional[bool] = None,
        timezone: Optional[str] = None,
    ) -> Dict[str, Any]:
        fields = {"cron": cron, "workflowName": workflow_name, "input": input, "queue": queue, "maxAttempts": max_attempts, "enabled": enabled, "timezone": timezone}
        return drive(api.set_schedule(name, fields), self._io)

    def list(self) -> List[Dict[str, Any]]:
        return drive(api.list_schedules(), self._io)

    def delete(self, name: str) -> bool:
        return drive(api.delete_schedule(name), self._io)
