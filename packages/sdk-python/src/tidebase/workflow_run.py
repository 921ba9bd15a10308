"""The handle a workflow function receives: the run's identity and its checkpointed steps, state, usage, gates, children."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, TypeVar

from . import child_protocol, gate_protocol, state_protocol, step_protocol
from .child_protocol import ChildLike, ChildSpec
from .context import RunContext
from .gate_protocol import GateDecision, GateState
from .ops import IO, drive
from .step_protocol import StepOptions

T = TypeVar("T")


class RunHandle:
    """What sync and async handles share: who the run is, and what this invocation did so far."""

    def __init__(self, ctx: RunContext, io: IO) -> None:
        self._ctx = ctx
        self._io = io

    @property
    def run_id(self) -> str:
        return self._ctx.run_id

    @property
    def workflow_name(self) -> str:
        return self._ctx.workflow_name

    @property
    def input(self) -> Any:
        return self._ctx.input

    @property
    def attempt(self) -> int:
        """The run lease's epoch: 1 on the first invocation, bumped by every resume."""
        return self._ctx.lease_epoch

    @property
    def replayed(self) -> List[str]:
        """Steps this invocation served from checkpoints, in order."""
        return self._ctx.names("replayed")

    @property
    def executed(self) -> List[str]:
        """Steps this invocation executed and checkpointed, in order."""
        return self._ctx.names("executed")

    def _check(self) -> None:
        if self._ctx.refused is not None:
            raise self._ctx.refused


class WorkflowRun(RunHandle):
    def __init__(self, ctx: RunContext, io: IO) -> None:
        super().__init__(ctx, io)
        self.state = _State(self)
        self.usage = _Usage(self)

    def step(
        self,
        name: str,
        fn: Callable[[], T],
        input: Any = None,
        *,
        side_effects: Optional[Sequence[str]] = None,
        idempotency_key: Optional[str] = None,
        retries: int = 0,
        replay: Optional[str] = None,
        timeout_s: Optional[float] = None,
        checkpoint_invariant: Optional[str] = None,
        verified_by: Optional[str] = None,
        announce_after_s: float = 1.0,
    ) -> T:
        """Runs `fn()` once per run: a completed checkpoint of this name and input is returned without calling it.

        `input` is hashed and checked on replay (a checkpoint for other input raises InputMismatchError).
        `side_effects` names the systems the step writes to (`["read"]` for none): a final failure of an
        unkeyed write parks in manual_review instead of being retried blindly.
        """
        self._check()
        options = StepOptions(
            input, side_effects, idempotency_key, retries, replay, timeout_s, checkpoint_invariant, verified_by, announce_after_s
        )
        return drive(step_protocol.step(self._ctx, name, options), self._io, fn)

    def state_set(self, value: Any, **options: Any) -> Dict[str, Any]:
        """Replaces the run's state (or `stream=`'s) with a new version; options: stream, label, reason, importance, metadata, created_by."""
        return drive(state_protocol.write_state(self._ctx, "PUT", value, options), self._io)

    def state_patch(self, value: Dict[str, Any], **options: Any) -> Dict[str, Any]:
        """Merges the keys of `value` into the state, shallowly, as a new version."""
        return drive(state_protocol.write_state(self._ctx, "PATCH", value, options), self._io)

    def state_get(self, stream: Optional[str] = None) -> Any:
        """The stream's current value as the server has it, None before its first write."""
        return drive(state_protocol.get_state(self._ctx, stream), self._io)

    def state_save(self, label: str, **options: Any) -> Dict[str, Any]:
        """Labels the current value as a version of its own (importance milestone by default)."""
        return drive(state_protocol.save_state(self._ctx, label, options), self._io)

    def state_versions(self, stream: Optional[str] = None, labeled: Optional[bool] = None) -> List[Dict[str, Any]]:
        return drive(state_protocol.state_versions(self._ctx, stream, labeled), self._io)

    def snapshot(self, label: str, state: Any, **options: Any) -> Dict[str, Any]:
        """A labeled version holding `state`, in stream `target={"type", "id"}` (the run's own by default)."""
        return drive(state_protocol.snapshot(self._ctx, label, state, options), self._io)

    def usage_record(self, **fields: Any) -> Dict[str, Any]:
        """Adds a usage record: kind, provider, model, label, quantity, unit, input_tokens, output_tokens,
        total_tokens, cost_usd, metadata, step_id, idempotency_key. Counted once, tied to the step it is made in."""
        return drive(state_protocol.record_usage(self._ctx, fields), self._io)

    def gate(
        self,
        name: str,
        prompt: str,
        data: Any = None,
        timeout_s: Optional[float] = None,
        *,
        channels: Any = None,
        capability: Optional[str] = None,
        default_decision: Optional[str] = None,
    ) -> GateDecision:
        """Pauses at the approval gate `name` until a person decides it (or its timeout does); answers the decision."""
        self._check()
        options = {"data": data, "timeout_s": timeout_s, "channels": channels, "capability": capability, "default_decision": default_decision}
        return drive(gate_protocol.await_gate(self._ctx, name, prompt, options), self._io)

    def open_gate(self, name: str, prompt: str, data: Any = None, timeout_s: Optional[float] = None, **options: Any) -> GateState:
        """Opens the gate (or finds it) without waiting: pending, or decided with its decision."""
        options.update(data=data, timeout_s=timeout_s)
        return drive(gate_protocol.open_gate(self._ctx, name, prompt, options), self._io)

    def child(self, name: str, workflow_name: str, input: Any = None, **options: Any) -> Any:
        """Makes the child run `name` once, however often this run is resumed, and answers its result.

        A workflow of that name registered on this client runs here; otherwise this waits for whichever
        worker runs it. Options: run_id, metadata, recovery_webhook, channels, edge_type, edge_metadata.
        """
        self._check()
        return drive(child_protocol.child(self._ctx, ChildSpec(name, workflow_name, input, options)), self._io)

    def fanout(self, children: Sequence[ChildLike]) -> List[Any]:
        """Makes every child (each once), then waits for all: their results in the order given."""
        self._check()
        specs = [child_protocol.as_spec(c) for c in children]
        return drive(child_protocol.fanout(self._ctx, specs), self._io)


class _State:
    def __init__(self, run: WorkflowRun) -> None:
        self.set = run.state_set
        self.patch = run.state_patch
        self.get = run.state_get
        self.save = run.state_save
        self.versions = run.state_versions


class _Usage:
    def __init__(self, run: WorkflowRun) -> None:
        self.record = run.usage_record
