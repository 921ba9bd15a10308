"""Following a run's events (GET /runs/:runId/events as Server-Sent Events) until one that matters arrives."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any, Callable, Dict, List, Optional

from .errors import TidebaseError
from .transport import Transport, quote

#: The server sends a keepalive comment every 15 s: a quieter connection is dead.
READ_TIMEOUT_S = 20.0


def wait_for_event(
    transport: Transport,
    run_id: str,
    after: int,
    types: Optional[List[str]],
    match: Callable[[Dict[str, Any]], bool],
    timeout_s: float,
) -> Optional[Dict[str, Any]]:
    """The first event after seq `after` that `match` accepts; None when the stream drops or `timeout_s` passes.

    Callers ask the server again on None (the gate or child as it stands), so nothing is missed.
    """
    deadline = time.monotonic() + max(0.0, timeout_s)
    query: Dict[str, Any] = {"after": after}
    if types:
        query["types"] = ",".join(types)
    read_timeout = max(0.05, min(READ_TIMEOUT_S, timeout_s))
    lines = transport.stream_lines(f"/runs/{quote(run_id)}/events", query, read_timeout)
    try:
        for line in lines:
            if line.startswith("data:"):
                event = json.loads(line[5:].strip())
                if isinstance(event, dict) and match(event):
                    return event
            if time.monotonic() >= deadline:
                return None
    except (OSError, ValueError, TidebaseError, http.client.HTTPException):
        return None
    finally:
        lines.close()
    return None
