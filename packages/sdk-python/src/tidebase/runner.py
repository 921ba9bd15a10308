"""What `tide.run` needs on both clients: the options a run is made with and the context it runs in."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from .context import RunContext
from .errors import TidebaseError
from .jsonvalue import with_attributes
from .run_protocol import Started


def is_over_budget(run: Dict[str, Any]) -> bool:
    """Over means past a limit, as the server counts it; the server's answer decides, this only routes the next step."""
    budget, totals = run.get("budget"), run.get("usageTotals") or {}
    if not budget:
        return False
    cost, tokens = budget.get("maxCostUsd"), budget.get("maxTotalTokens")
    return (cost is not None and totals.get("costUsd", 0) > cost) or (tokens is not None and totals.get("totalTokens", 0) > tokens)


def run_context(
    workflow_name: str, started: Started, on_lease_lost: Optional[Callable[[TidebaseError], None]]
) -> RunContext:
    assert started.lease_owner is not None
    run = started.run
    return RunContext(
        run_id=run["id"],
        workflow_name=workflow_name,
        input=with_attributes(run.get("input")),
        lease_owner=started.lease_owner,
        lease_epoch=int(run.get("attempt") or 1),
        seq=started.seq,
        checkpoints={c["name"]: c for c in started.checkpoints},
        over_budget=is_over_budget(run),
        on_lease_lost=on_lease_lost,
    )


def create_options(
    input: Any,
    metadata: Any,
    recovery_webhook: Optional[str],
    channels: Any,
    budget: Optional[Dict[str, Any]],
    deadline_ms: Optional[int],
) -> Dict[str, Any]:
    return {
        "input": input,
        "metadata": metadata,
        "recovery_webhook": recovery_webhook,
        "channels": channels,
        "budget": budget,
        "deadline_ms": deadline_ms,
    }
