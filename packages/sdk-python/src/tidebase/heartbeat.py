"""Keeps a run's lease alive from a thread of its own while the workflow runs (sync and async alike)."""

from __future__ import annotations

import datetime
import threading
from typing import Any, Dict, Optional

from .context import RunContext
from .errors import LeaseLostError, RunCancelledError, TidebaseError
from .ops import IO, drive
from .run_protocol import heartbeat, release


def _parse(ts: Any) -> Optional[datetime.datetime]:
    try:
        return datetime.datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
    except ValueError:
        return None


def granted_s(run: Dict[str, Any]) -> float:
    """The lease length the server granted, on its own clock so client skew does not matter."""
    expires, updated = _parse(run.get("leaseExpiresAt")), _parse(run.get("updatedAt"))
    if expires is None or updated is None:
        return 30.0
    return max(0.03, (expires - updated).total_seconds())


class Heartbeat:
    """Renews the lease at a third of its length. A refusal (lease lost, run cancelled) ends it and is kept on the context:
    the run's next step boundary meets the same refusal and stops there."""

    def __init__(self, io: IO, ctx: RunContext, run: Dict[str, Any], lease_ms: Optional[int]) -> None:
        self._io, self._ctx, self._lease_ms = io, ctx, lease_ms
        self.interval_s = max(0.01, granted_s(run) / 3)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"tidebase-heartbeat-{ctx.run_id}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopped.wait(self.interval_s):
            try:
                drive(heartbeat(self._ctx, self._lease_ms), self._io)
            except (LeaseLostError, RunCancelledError) as refusal:
                if self._stopped.is_set():
                    return
                self._ctx.refused = refusal
                if self._ctx.on_lease_lost is not None:
                    self._ctx.on_lease_lost(refusal)
                return
            except TidebaseError:
                continue

    def stop(self) -> None:
        # A beat in flight is dropped: while the server is away it may be retrying for a while.
        self._stopped.set()


def release_bounded(io: IO, ctx: RunContext, bound_s: float = 1.0) -> None:
    """Gives the lease back, waiting for it at most `bound_s`: past that it simply expires."""
    thread = threading.Thread(target=lambda: drive(release(ctx), io), name="tidebase-release", daemon=True)
    thread.start()
    thread.join(bound_s)
