"""What a workflow invocation knows about its run: lease, prefetched checkpoints, and the step running now."""

from __future__ import annotations

import contextvars
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from .errors import DuplicateStepNameError, TidebaseError
from .input_hash import input_hash


def random_id() -> str:
    return uuid.uuid4().hex


def new_run_id() -> str:
    return f"run_{random_id()}"


@dataclass
class StepScope:
    """One execution of a step's function: what state writes and usage records made inside it carry."""

    name: str
    step_id: Optional[str]
    #: Drawn per execution: a step executed again really spent again, and its usage is not a duplicate.
    nonce: str = field(default_factory=random_id)
    usage_records: int = 0


#: The step whose function is running in this thread or task; None outside any step.
current_step: contextvars.ContextVar[Optional[StepScope]] = contextvars.ContextVar("tidebase_current_step", default=None)

#: The server takes idempotency keys of at most 200 characters.
MAX_KEY = 200


def usage_key(run_id: str, scope: Optional[StepScope]) -> str:
    """Fixed before the first attempt, so a retried request is counted once (the TypeScript SDK's format)."""
    if scope is None:
        key = f"{run_id}:{random_id()}"
    else:
        scope.usage_records += 1
        key = f"{run_id}:{scope.name}:{scope.nonce}:{scope.usage_records}"
    return key if len(key) <= MAX_KEY else input_hash(key)


@dataclass
class RunContext:
    run_id: str
    workflow_name: str
    input: Any
    lease_owner: str
    lease_epoch: int
    seq: int
    checkpoints: Dict[str, Dict[str, Any]]
    over_budget: bool = False
    #: Steps in the order this invocation finished them: (name, "replayed" | "executed").
    journal: List[Tuple[str, str]] = field(default_factory=list)
    claimed: Set[str] = field(default_factory=set)
    #: Final step failures by id of the exception, so the run's failure names the step and decision.
    failures: Dict[int, Tuple[BaseException, Dict[str, Any]]] = field(default_factory=dict)
    #: Set by the heartbeat when the server refused it (lease lost, run cancelled).
    refused: Optional[TidebaseError] = None
    on_lease_lost: Optional[Callable[[TidebaseError], None]] = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def fence(self) -> Dict[str, Any]:
        return {"leaseOwner": self.lease_owner, "leaseEpoch": self.lease_epoch}

    def claim(self, name: str) -> None:
        """Every step of an invocation needs its own name, or the second would get the first one's checkpoint."""
        with self.lock:
            if name in self.claimed:
                raise DuplicateStepNameError(self.run_id, name)
            self.claimed.add(name)

    def release(self, name: str) -> None:
        with self.lock:
            self.claimed.discard(name)

    def names(self, outcome: str) -> List[str]:
        return [name for name, how in self.journal if how == outcome]
