"""`await tide.work()`: slot tasks that long-poll claims (in threads, abortable) and run claimed runs on the loop."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Union

from .. import api_protocol as api
from ..context import random_id
from ..errors import TidebaseError
from ..ops import drive_async
from ..transport import Aborted, Connection

if TYPE_CHECKING:
    from .client import AsyncTidebase

log = logging.getLogger("tidebase")
CLAIM_RETRY_S = 1.0


class AsyncWorker:
    def __init__(
        self,
        tide: "AsyncTidebase",
        queues: List[str],
        concurrency: int,
        wait_ms: int,
        worker_id: Optional[str],
        shutdown_grace_s: float,
        on_error: Optional[Callable[[BaseException, Dict[str, Any]], None]],
    ) -> None:
        self.tide = tide
        self.queues = queues
        self.owner = worker_id or tide.worker_id or f"worker_{random_id()}"
        self.wait_ms = wait_ms
        self.grace_s = shutdown_grace_s
        self.on_error = on_error or (lambda error, run: log.error("tidebase: run %s (%s) failed: %r", run["id"], run["workflowName"], error))
        self.connections = [Connection(tide.transport) for _ in range(max(1, int(concurrency)))]
        self.stopping = asyncio.Event()
        self.in_flight: Dict[str, "asyncio.Task[None]"] = {}

    async def run(self, stop_event: Optional[Union[asyncio.Event, threading.Event]]) -> None:
        slots = [asyncio.create_task(self._slot(c)) for c in self.connections]
        try:
            await _wait_for(stop_event)
        finally:
            await self._shutdown(slots)

    async def _shutdown(self, slots: List["asyncio.Task[None]"]) -> None:
        self.stopping.set()
        for connection in self.connections:
            connection.abort()
        runs = list(self.in_flight.values())
        if runs:
            _, late = await asyncio.wait(runs, timeout=self.grace_s)
            # Cancelled runs give their leases back; the reconciler requeues them.
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for slot in slots:
            slot.cancel()
        await asyncio.gather(*slots, return_exceptions=True)
        for connection in self.connections:
            connection.reset()

    async def _slot(self, connection: Connection) -> None:
        body = {"queues": self.queues, "leaseOwner": self.owner, "limit": 1, "waitMs": self.wait_ms}
        transport = self.tide.transport
        while not self.stopping.is_set():
            try:
                claimed = await asyncio.to_thread(
                    transport.request, "POST", "/queues/claim", body, timeout_s=self.wait_ms / 1000 + 30, connection=connection
                )
            except Aborted:
                return
            except TidebaseError as error:
                log.warning("tidebase worker: claim failed (%s); trying again", error)
                await asyncio.sleep(CLAIM_RETRY_S)
                continue
            for run in claimed.get("runs", []):
                if self.stopping.is_set():
                    await drive_async(api.release_claim(run, self.owner), self.tide._io)
                    continue
                # Its own task, so that stopping the slot does not stop the run; shutdown waits for it.
                task = asyncio.ensure_future(self._run_one(run))
                self.in_flight[run["id"]] = task
                try:
                    await asyncio.shield(task)
                except asyncio.CancelledError:
                    if not task.done():
                        raise
                finally:
                    if task.done():
                        self.in_flight.pop(run["id"], None)

    async def _run_one(self, run: Dict[str, Any]) -> None:
        workflow = self.tide._workflows.get(run["workflowName"])
        if workflow is None:
            await drive_async(api.fail_unknown(run, self.owner), self.tide._io)
            self.on_error(LookupError(f"worker {self.owner} has no workflow named {run['workflowName']}"), run)
            return
        try:
            await self.tide.run(run["workflowName"], workflow, run_id=run["id"], worker_id=self.owner)
        except Exception as error:
            self.on_error(error, run)


async def _wait_for(stop_event: Optional[Union[asyncio.Event, threading.Event]]) -> None:
    if stop_event is None:
        await asyncio.Event().wait()
    elif isinstance(stop_event, asyncio.Event):
        await stop_event.wait()
    else:
        while not stop_event.is_set():
            await asyncio.sleep(0.1)
