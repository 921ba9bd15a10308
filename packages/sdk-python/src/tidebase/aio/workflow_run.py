"""The async handle a workflow receives: `await run.step(...)`, where the step function may return a coroutine."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, TypeVar, Union

from .. import child_protocol, gate_protocol, state_protocol, step_protocol
from ..child_protocol import ChildLike, ChildSpec
from ..gate_protocol import GateDecision, GateState
from ..ops import drive_async
from ..step_protocol import StepOptions
from ..workflow_run import RunHandle

T = TypeVar("T")


class AsyncWorkflowRun(RunHandle):
    def __init__(self, ctx: Any, io: Any) -> None:
        super().__init__(ctx, io)
        self.state = _State(self)
        self.usage = _Usage(self)

    async def step(
        self,
        name: str,
        fn: Callable[[], Union[T, Awaitable[T]]],
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
        """Runs `fn()` once per run, awaiting what it returns when that is awaitable (`lambda: Runner.run(...)`).

        A completed checkpoint of this name and input is returned without calling it; see `WorkflowRun.step`.
        """
        self._check()
        options = StepOptions(
            input, side_effects, idempotency_key, retries, replay, timeout_s, checkpoint_invariant, verified_by, announce_after_s
        )
        return await drive_async(step_protocol.step(self._ctx, name, options), self._io, fn)

    async def state_set(self, value: Any, **options: Any) -> Dict[str, Any]:
        return await drive_async(state_protocol.write_state(self._ctx, "PUT", value, options), self._io)

    async def state_patch(self, value: Dict[str, Any], **options: Any) -> Dict[str, Any]:
        return await drive_async(state_protocol.write_state(self._ctx, "PATCH", value, options), self._io)

    async def state_get(self, stream: Optional[str] = None) -> Any:
        return await drive_async(state_protocol.get_state(self._ctx, stream), self._io)

    async def state_save(self, label: str, **options: Any) -> Dict[str, Any]:
        return await drive_async(state_protocol.save_state(self._ctx, label, options), self._io)

    async def state_versions(self, stream: Optional[str] = None, labeled: Optional[bool] = None) -> List[Dict[str, Any]]:
        return await drive_async(state_protocol.state_versions(self._ctx, stream, labeled), self._io)

    async def snapshot(self, label: str, state: Any, **options: Any) -> Dict[str, Any]:
        return await drive_async(state_protocol.snapshot(self._ctx, label, state, options), self._io)

    async def usage_record(self, **fields: Any) -> Dict[str, Any]:
        """Adds a usage record (kind, provider, model, input_tokens, output_tokens, cost_usd, ...), counted once."""
        return await drive_async(state_protocol.record_usage(self._ctx, fields), self._io)

    async def gate(
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
        self._check()
        options = {"data": data, "timeout_s": timeout_s, "channels": channels, "capability": capability, "default_decision": default_decision}
        return await drive_async(gate_protocol.await_gate(self._ctx, name, prompt, options), self._io)

    async def open_gate(self, name: str, prompt: str, data: Any = None, timeout_s: Optional[float] = None, **options: Any) -> GateState:
        options.update(data=data, timeout_s=timeout_s)
        return await drive_async(gate_protocol.open_gate(self._ctx, name, prompt, options), self._io)

    async def child(self, name: str, workflow_name: str, input: Any = None, **options: Any) -> Any:
        self._check()
        return await drive_async(child_protocol.child(self._ctx, ChildSpec(name, workflow_name, input, options)), self._io)

    async def fanout(self, children: Sequence[ChildLike]) -> List[Any]:
        self._check()
        specs = [child_protocol.as_spec(c) for c in children]
        return await drive_async(child_protocol.fanout(self._ctx, specs), self._io)


class _State:
    def __init__(self, run: AsyncWorkflowRun) -> None:
        self.set = run.state_set
        self.patch = run.state_patch
        self.get = run.state_get
        self.save = run.state_save
        self.versions = run.state_versions


class _Usage:
    def __init__(self, run: AsyncWorkflowRun) -> None:
        self.record = run.usage_record
