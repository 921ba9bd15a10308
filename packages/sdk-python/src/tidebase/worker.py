"""`tide.work()`: slots that long-poll claims from queues and run the claimed runs of registered workflows."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from . import api_protocol as api
from .context import random_id
from .errors import TidebaseError
from .ops import IO, drive
from .transport import Aborted, Connection

if TYPE_CHECKING:
    from .client import Tidebase

log = logging.getLogger("tidebase")
CLAIM_RETRY_S = 1.0


class Worker:
    def __init__(
        self,
        tide: "Tidebase",
        queues: List[str],
        concurrency: int,
        wait_ms: int,
        worker_id: Optional[str],
        shutdown_grace_s: float,
        on_error: Optional[Callable[[BaseException, Dict[str, Any]], None]],
    ) -> None:
        self.tide = tide
        self.queues = queues
        self.slots = max(1, int(concurrency))
        self.wait_ms = wait_ms
        self.owner = worker_id or tide.worker_id or f"worker_{random_id()}"
        self.grace_s = shutdown_grace_s
        self.on_error = on_error or (lambda error, run: log.error("tidebase: run %s (%s) failed: %r", run["id"], run["workflowName"], error))
        self.stop = threading.Event()
        self.connections = [Connection(tide.transport) for _ in range(self.slots)]
        self.in_flight: Dict[str, Dict[str, Any]] = {}
        self.lock = threading.Lock()

    def run(self, stop_event: Optional[threading.Event]) -> None:
        threads = [threading.Thread(target=self._slot, args=(c,), name=f"tidebase-worker-{i}", daemon=True) for i, c in enumerate(self.connections)]
        for thread in threads:
            thread.start()
        try:
            while not self.stop.is_set():
                if stop_event is not None and stop_event.wait(0.1):
                    break
                if stop_event is None:
                    self.stop.wait(0.5)
        except KeyboardInterrupt:
            log.info("tidebase worker: stopping (runs in progress get %.0fs to finish)", self.grace_s)
        self._shutdown(threads)

    def _shutdown(self, threads: List[threading.Thread]) -> None:
        self.stop.set()
        for connection in self.connections:
            connection.abort()
        deadline = time.monotonic() + self.grace_s
        try:
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
        except KeyboardInterrupt:
            pass
        # Runs still going after the grace period give their leases back; their late writes are fenced off.
        with self.lock:
            left = list(self.in_flight.values())
        for run in left:
            drive(api.release_claim(run, self.owner), self.tide._io)

    def _slot(self, connection: Connection) -> None:
        try:
            self._claim_and_run(connection)
        finally:
            connection.reset()

    def _claim_and_run(self, connection: Connection) -> None:
        io = IO(self.tide.transport, self.tide._run_here)
        while not self.stop.is_set():
            try:
                claimed = self.tide.transport.request(
                    "POST",
                    "/queues/claim",
                    {"queues": self.queues, "leaseOwner": self.owner, "limit": 1, "waitMs": self.wait_ms},
                    timeout_s=self.wait_ms / 1000 + 30,
                    connection=connection,
                )
            except Aborted:
                return
            except TidebaseError as error:
                log.warning("tidebase worker: claim failed (%s); trying again", error)
                self.stop.wait(CLAIM_RETRY_S)
                continue
            for run in claimed.get("runs", []):
                if self.stop.is_set():
                    drive(api.release_claim(run, self.owner), io)
                    continue
                self._run_one(run, io)

    def _run_one(self, run: Dict[str, Any], io: IO) -> None:
        workflow = self.tide._workflows.get(run["workflowName"])
        if workflow is None:
            drive(api.fail_unknown(run, self.owner), io)
            self.on_error(LookupError(f"worker {self.owner} has no workflow named {run['workflowName']}"), run)
            return
        with self.lock:
            self.in_flight[run["id"]] = run
        try:
            self.tide.run(run["workflowName"], workflow, run_id=run["id"], worker_id=self.owner)
        except Exception as error:
            self.on_error(error, run)
        finally:
            with self.lock:
                self.in_flight.pop(run["id"], None)
