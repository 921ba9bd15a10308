"""Tidebase for Python: checkpointed steps, live state, gates, child runs, usage and queues, over the Tidebase HTTP API.

Standard library only. `Tidebase` blocks; `tidebase.aio.AsyncTidebase` is the same protocol on asyncio.
"""

from ._version import __version__
from .child_protocol import ChildSpec
from .client import Tidebase
from .errors import (
    BudgetExceededError,
    ChildRunFailedError,
    ChildRunIdTakenError,
    DuplicateStepNameError,
    GateResolveRefusedError,
    InputMismatchError,
    LeaseHeldError,
    LeaseLostError,
    NoRecoveryWebhookError,
    RunAlreadyCompletedError,
    RunCancelledError,
    RunFailedError,
    RunNotFoundError,
    SessionClosedError,
    StateNotFoundError,
    StepLockedError,
    StepNotResolvableError,
    StepTimeoutError,
    TidebaseError,
    TidebaseRequestError,
    UnserializableError,
    WorkflowMismatchError,
)
from .gate_protocol import GateDecision, GateState
from .input_hash import input_hash, stable_stringify
from .jsonvalue import JsonDict
from .webhook import Invocation, parse_invocation, sign_webhook_body, verify_webhook_signature
from .session import Session
from .workflow_run import WorkflowRun

__all__ = [
    "__version__",
    "Tidebase",
    "WorkflowRun",
    "Session",
    "ChildSpec",
    "GateDecision",
    "GateState",
    "JsonDict",
    "Invocation",
    "input_hash",
    "stable_stringify",
    "parse_invocation",
    "sign_webhook_body",
    "verify_webhook_signature",
    "TidebaseError",
    "TidebaseRequestError",
    "BudgetExceededError",
    "ChildRunFailedError",
    "ChildRunIdTakenError",
    "DuplicateStepNameError",
    "GateResolveRefusedError",
    "InputMismatchError",
    "LeaseHeldError",
    "LeaseLostError",
    "NoRecoveryWebhookError",
    "RunAlreadyCompletedError",
    "RunCancelledError",
    "RunFailedError",
    "RunNotFoundError",
    "SessionClosedError",
    "StateNotFoundError",
    "StepLockedError",
    "StepNotResolvableError",
    "StepTimeoutError",
    "UnserializableError",
    "WorkflowMismatchError",
]
