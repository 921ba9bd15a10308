"""The asyncio client: `AsyncTidebase()`, the same surface as `Tidebase` with `await`."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import threading
from typing import Any, Awaitable, Callable, Dict, Iterable, Optional, Set, Tuple, Union

from .. import api_protocol as api
from .. import run_protocol
from ..context import current_step, new_run_id, random_id
from ..errors import UnserializableError
from ..heartbeat import Heartbeat, release_bounded
from ..ops import IO, drive_async
from ..runner import create_options, run_context
from ..transport import Transport
from ..webhook import SIGNATURE_HEADER, check_delivery
from .namespaces import AsyncGates, AsyncQueues, AsyncRuns, AsyncSchedules, AsyncSteps
from .workflow_run import AsyncWorkflowRun

log = logging.getLogger("tidebase")

AsyncWorkflowFn = Callable[[AsyncWorkflowRun, Any], Any]
StopEvent = Union[asyncio.Event, threading.Event]


class AsyncTidebase:
    """A Tidebase client for asyncio: HTTP runs in worker threads, workflow and step functions on the event loop."""

    def __init__(
        self,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
        webhook_secret: Optional[str] = None,
        *,
        worker_id: Optional[str] = None,
        retry_transport_for_s: Optional[float] = None,
        request_timeout_s: Optional[float] = None,
    ) -> None:
        self.transport = Transport(url, api_key, retry_transport_for_s, request_timeout_s)
        self.url = self.transport.url
        self.webhook_secret = webhook_secret if webhook_secret is not None else (os.environ.get("TIDEBASE_WEBHOOK_SECRET") or None)
        self.worker_id = worker_id or os.environ.get("TIDEBASE_WORKER_ID") or None
        self._workflows: Dict[str, AsyncWorkflowFn] = {}
        self._io = IO(self.transport, self._run_here)
        self._background: Set["asyncio.Task[Any]"] = set()
        self.runs = AsyncRuns(self._io, self)
        self.gates = AsyncGates(self._io)
        self.steps = AsyncSteps(self._io)
        self.queues = AsyncQueues(self._io)
        self.schedules = AsyncSchedules(self._io)

    async def health(self) -> Dict[str, Any]:
        return await asyncio.to_thread(self.transport.request, "GET", "/health")

    def workflow(self, name: str, fn: Optional[AsyncWorkflowFn] = None) -> Any:
        """Registers `fn(run, input)` (async or not) under `name`; also a decorator."""
        if fn is None:
            return lambda f: self.workflow(name, f)
        self._workflows[name] = fn
        return fn

    async def enqueue(
        self,
        name: str,
        input: Any = None,
        dedupe_key: Optional[str] = None,
        queue: str = "default",
        delay_ms: Optional[int] = None,
        priority: Optional[int] = None,
        max_attempts: Optional[int] = None,
        *,
        run_id: Optional[str] = None,
        metadata: Any = None,
        run_at: Any = None,
        deadline_ms: Optional[int] = None,
        recovery_webhook: Optional[str] = None,
        channels: Any = None,
    ) -> Dict[str, Any]:
        fields = {
            "runId": run_id,
            "input": input,
            "metadata": metadata,
            "dedupeKey": dedupe_key,
            "delayMs": delay_ms,
            "runAt": run_at,
            "priority": priority,
            "maxAttempts": max_attempts,
            "deadlineMs": deadline_ms,
            "recoveryWebhook": recovery_webhook,
            "channels": channels,
        }
        return await drive_async(api.enqueue(name, queue, fields), self._io)

    async def run(
        self,
        workflow_name: str,
        fn: Optional[AsyncWorkflowFn] = None,
        run_id: Optional[str] = None,
        input: Any = None,
        *,
        metadata: Any = None,
        recovery_webhook: Optional[str] = None,
        channels: Any = None,
        budget: Optional[Dict[str, Any]] = None,
        deadline_ms: Optional[int] = None,
        lease_ms: Optional[int] = None,
        worker_id: Optional[str] = None,
        on_lease_lost: Optional[Callable[[Exception], None]] = None,
    ) -> Any:
        """Runs (or resumes, by `run_id`) `fn(run, input)`; see `Tidebase.run`. `fn` may be `async def`."""
        workflow = fn or self._workflows.get(workflow_name)
        if workflow is None:
            raise ValueError(f"no workflow registered as {workflow_name}")
        owner = worker_id or self.worker_id or f"worker_{random_id()}"
        create = run_protocol.create_payload(create_options(input, metadata, recovery_webhook, channels, budget, deadline_ms))
        started = await drive_async(run_protocol.start(workflow_name, run_id or new_run_id(), owner, create, lease_ms), self._io)
        if started.lease_owner is None:
            return run_protocol.stored_result(started.run)
        ctx = run_context(workflow_name, started, on_lease_lost)
        beat = Heartbeat(self._io, ctx, started.run, lease_ms)
        token = current_step.set(None)
        try:
            result = workflow(AsyncWorkflowRun(ctx, self._io), ctx.input)
            if inspect.isawaitable(result):
                result = await result
        except Exception as error:
            beat.stop()
            await drive_async(run_protocol.fail(ctx, error), self._io)
            raise
        except BaseException:
            # Cancelled or interrupted: the lease goes back, so a re-run resumes at once.
            beat.stop()
            await asyncio.to_thread(release_bounded, self._io, ctx)
            raise
        finally:
            beat.stop()
            current_step.reset(token)
        try:
            return await drive_async(run_protocol.complete(ctx, result), self._io)
        except UnserializableError as error:
            await drive_async(run_protocol.fail(ctx, error), self._io)
            raise

    async def _run_here(self, workflow_name: str, run_id: str) -> bool:
        if workflow_name not in self._workflows:
            return False
        try:
            await self.run(workflow_name, run_id=run_id)
        except Exception:
            pass  # its outcome is on the child run, which the parent reads
        return True

    async def work(
        self,
        queues: Optional[Iterable[str]] = None,
        concurrency: int = 1,
        stop_event: Optional[StopEvent] = None,
        *,
        wait_ms: int = 10_000,
        worker_id: Optional[str] = None,
        shutdown_grace_s: float = 30.0,
        on_error: Optional[Callable[[BaseException, Dict[str, Any]], None]] = None,
    ) -> None:
        """Claims and runs queued runs of the registered workflows until `stop_event` is set or the task is cancelled."""
        from .worker import AsyncWorker

        worker = AsyncWorker(self, list(queues or ["default"]), concurrency, wait_ms, worker_id, shutdown_grace_s, on_error)
        await worker.run(stop_event)

    def handle_webhook(self, raw_body: bytes, signature: Optional[str]) -> Tuple[int, Dict[str, Any]]:
        """Answers a `run.resume` / `run.invoke` delivery and re-invokes its run as a task on the running loop."""
        status, body, invocation = check_delivery(raw_body, signature, self.webhook_secret)
        if invocation is None:
            return status, body
        workflow = self._workflows.get(invocation.workflow_name)
        if workflow is None:
            return 404, {"error": f"no workflow registered as {invocation.workflow_name}"}

        async def resume() -> None:
            try:
                await self.run(invocation.workflow_name, workflow, run_id=invocation.run_id, worker_id=invocation.lease_owner)
            except Exception:
                log.exception("tidebase: run %s (%s) failed", invocation.run_id, invocation.workflow_name)

        task = asyncio.get_running_loop().create_task(resume())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return status, body

    def webhook(self) -> Callable[[Dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[Any]]], Awaitable[None]]:
        """An ASGI application for recovery and push webhooks."""

        async def app(scope: Dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[Any]]) -> None:
            if scope.get("type") != "http":
                return
            raw, more = b"", True
            while more:
                message = await receive()
                raw += message.get("body", b"")
                more = message.get("more_body", False)
            if scope.get("method") != "POST":
                status, body = 405, {"error": "method not allowed"}
            else:
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
                status, body = self.handle_webhook(raw, headers.get(SIGNATURE_HEADER))
            data = json.dumps(body).encode("utf-8")
            await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": data})

        return app

    async def close(self) -> None:
        """Waits for webhook-started runs still in progress, then closes the kept-alive connections."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        self.transport.close()
