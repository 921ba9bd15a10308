"""`tide.runs`, `tide.gates`, `tide.steps`, `tide.queues` and `tide.schedules` of the async client (same arguments)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

from .. import api_protocol as api
from ..api_protocol import UNSET
from ..ops import IO, drive_async

if TYPE_CHECKING:
    from ..errors import TidebaseError
    from ..session import AttachTarget
    from .client import AsyncTidebase
    from .session import AsyncSession


class AsyncRuns:
    def __init__(self, io: IO, client: Optional["AsyncTidebase"] = None) -> None:
        self._io = io
        self._client = client

    async def attach(
        self,
        target: Optional["AttachTarget"] = None,
        *,
        on_lease_lost: Optional[Callable[["TidebaseError"], None]] = None,
        **run_options: Any,
    ) -> "AsyncSession":
        """A session on a run, driven step by step; see `Tidebase.runs.attach`. Its methods are coroutines,
        and its run is a task on the running loop (`on_lease_lost` is called on the loop)."""
        from .session import attach

        if self._client is None:
            raise RuntimeError("attach needs the client: use tide.runs of an AsyncTidebase")
        return await attach(self._client, target, on_lease_lost, run_options)

    async def create(
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
        fields = {"runId": run_id, "input": input, "metadata": metadata, "recoveryWebhook": recovery_webhook, "channels": channels, "budget": budget}
        return await drive_async(api.create_run(workflow_name, fields), self._io)

    async def get(self, run_id: str) -> Dict[str, Any]:
        return await drive_async(api.get_run(run_id), self._io)

    async def list(self, status: Optional[str] = None, workflow_name: Optional[str] = None, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        return await drive_async(api.list_runs({"status": status, "workflowName": workflow_name, "limit": limit}), self._io)

    async def checkpoints(self, run_id: str) -> List[Dict[str, Any]]:
        return await drive_async(api.checkpoints(run_id), self._io)

    async def events(self, run_id: str, after: int = 0) -> List[Dict[str, Any]]:
        return await drive_async(api.events(run_id, after), self._io)

    async def cancel(self, run_id: str, reason: Optional[str] = None, actor: Optional[str] = None) -> Dict[str, Any]:
        return await drive_async(api.cancel_run(run_id, reason, actor), self._io)

    async def recover(self, run_id: str, reason: Optional[str] = None) -> Dict[str, Any]:
        return await drive_async(api.recover_run(run_id, reason), self._io)

    async def set_budget(self, run_id: str, budget: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        return await drive_async(api.set_budget(run_id, budget), self._io)


class AsyncGates:
    def __init__(self, io: IO) -> None:
        self._io = io

    async def resolve(self, run_id: str, gate_id: str, token: str, decision: str, actor: Optional[str] = None, payload: Any = None) -> Dict[str, Any]:
        body = {"token": token, "decision": decision, "actor": actor, "payload": payload}
        return await drive_async(api.resolve_gate(run_id, gate_id, body), self._io)

    async def get(self, run_id: str, gate_id: str) -> Dict[str, Any]:
        return await drive_async(api.get_gate(run_id, gate_id), self._io)


class AsyncSteps:
    def __init__(self, io: IO) -> None:
        self._io = io

    async def resolve(self, run_id: str, step_id: str, action: str, actor: str, output: Any = None, reason: Optional[str] = None) -> Dict[str, Any]:
        body = {"action": action, "actor": actor, "output": output, "reason": reason}
        return await drive_async(api.resolve_step(run_id, step_id, body), self._io)


class AsyncQueues:
    def __init__(self, io: IO) -> None:
        self._io = io

    async def list(self) -> List[Dict[str, Any]]:
        return await drive_async(api.list_queues(), self._io)

    async def configure(self, queue: str, *, concurrency: Any = UNSET, rate_per_minute: Any = UNSET, invoke_url: Any = UNSET) -> Dict[str, Any]:
        settings = {"concurrency": concurrency, "ratePerMinute": rate_per_minute, "invokeUrl": invoke_url}
        return await drive_async(api.configure_queue(queue, settings), self._io)

    async def claim(self, queues: Sequence[str], lease_owner: str, limit: int = 1, wait_ms: Optional[int] = None) -> Dict[str, Any]:
        return await drive_async(api.claim(queues, lease_owner, limit, wait_ms), self._io)


class AsyncSchedules:
    def __init__(self, io: IO) -> None:
        self._io = io

    async def set(
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
        return await drive_async(api.set_schedule(name, fields), self._io)

    async def list(self) -> List[Dict[str, Any]]:
        return await drive_async(api.list_schedules(), self._io)

    async def delete(self, name: str) -> bool:
        return await drive_async(api.delete_schedule(name), self._io)
