"""Sessions of the async client: `await tide.runs.attach(...)`, the same as `tidebase.session` with `await`.

The session's run is a task on the running loop whose workflow function awaits the session's end.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Mapping, Optional, TypeVar, Union

from ..errors import SessionClosedError, TidebaseError
from ..gate_protocol import GateState
from ..session import AttachTarget, _Closing, as_exception, run_options
from .workflow_run import AsyncWorkflowRun

if TYPE_CHECKING:
    from .client import AsyncTidebase

T = TypeVar("T")


def _retrieve(task: "asyncio.Task[Any]") -> None:
    # The outcome is read by complete()/fail(); a session abandoned after losing its lease is not an unhandled error.
    if not task.cancelled():
        task.exception()


class AsyncSession(_Closing):
    """A session of the async client; see `tidebase.session.Session`. Every method is a coroutine."""

    def __init__(self) -> None:
        super().__init__()
        self.run_id: str = ""
        self.workflow_name: str = ""
        self.input: Any = None
        self._run: Optional[AsyncWorkflowRun] = None
        self._task: Optional["asyncio.Task[Any]"] = None
        self._on_lease_lost: Optional[Callable[[TidebaseError], None]] = None
        self.state = _State(self)
        self.usage = _Usage(self)
        self.gates = _Gates(self)

    @classmethod
    async def start(
        cls,
        tide: "AsyncTidebase",
        workflow_name: str,
        options: Dict[str, Any],
        on_lease_lost: Optional[Callable[[TidebaseError], None]] = None,
    ) -> "AsyncSession":
        self = cls()
        self.run_id = options.get("run_id") or ""
        self._on_lease_lost = on_lease_lost
        loop = asyncio.get_running_loop()
        self._loop = loop
        ready: "asyncio.Future[AsyncWorkflowRun]" = loop.create_future()
        self._ended: "asyncio.Future[Any]" = loop.create_future()

        async def body(run: AsyncWorkflowRun, input: Any) -> Any:
            if not ready.done():
                ready.set_result(run)
            return await self._ended

        task = loop.create_task(tide.run(workflow_name, body, on_lease_lost=self._lease_lost, **options))
        task.add_done_callback(_retrieve)
        self._task = task
        await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            task.result()  # raises what kept the run from starting
            raise SessionClosedError(self.run_id, "completed")  # it was already completed: nothing to drive
        run = ready.result()
        self._run = run
        self.run_id, self.workflow_name, self.input = run.run_id, run.workflow_name, run.input
        return self

    def _lease_lost(self, refusal: TidebaseError) -> None:
        # Called from the heartbeat's thread.
        if not self._refused(refusal):
            return

        def on_loop() -> None:
            if not self._ended.done():
                self._ended.set_exception(refusal)
            if self._on_lease_lost is not None:
                self._on_lease_lost(refusal)

        try:
            self._loop.call_soon_threadsafe(on_loop)
        except RuntimeError:
            pass  # the loop is closed: nobody is left to tell

    @property
    def attempt(self) -> int:
        assert self._run is not None
        return self._run.attempt

    @property
    def replayed(self) -> List[str]:
        assert self._run is not None
        return self._run.replayed

    @property
    def executed(self) -> List[str]:
        assert self._run is not None
        return self._run.executed

    def _target(self) -> AsyncWorkflowRun:
        self._guard()
        assert self._run is not None
        return self._run

    async def step(self, name: str, fn: Callable[[], Union[T, Awaitable[T]]], input: Any = None, **options: Any) -> T:
        """`await run.step(...)` of the session's run; `fn` may return a coroutine (it is awaited)."""
        return await self._target().step(name, fn, input, **options)

    async def state_set(self, value: Any, **options: Any) -> Dict[str, Any]:
        return await self._target().state_set(value, **options)

    async def state_patch(self, value: Dict[str, Any], **options: Any) -> Dict[str, Any]:
        return await self._target().state_patch(value, **options)

    async def state_get(self, stream: Optional[str] = None) -> Any:
        return await self._target().state_get(stream)

    async def state_save(self, label: str, **options: Any) -> Dict[str, Any]:
        return await self._target().state_save(label, **options)

    async def state_versions(self, stream: Optional[str] = None, labeled: Optional[bool] = None) -> List[Dict[str, Any]]:
        return await self._target().state_versions(stream, labeled)

    async def snapshot(self, label: str, state: Any, **options: Any) -> Dict[str, Any]:
        return await self._target().snapshot(label, state, **options)

    async def usage_record(self, **fields: Any) -> Dict[str, Any]:
        return await self._target().usage_record(**fields)

    async def begin_gate(self, name: str, prompt: str, data: Any = None, timeout_s: Optional[float] = None, **options: Any) -> GateState:
        """Opens the gate (or finds it) and never waits for a decision: pending, or decided."""
        return await self._target().open_gate(name, prompt, data, timeout_s, **options)

    async def complete(self, result: Any = None) -> Any:
        """Completes the run with `result` and ends the session; answers the stored result."""
        self._close("completed")
        self._ended.set_result(result)
        assert self._task is not None
        return await self._task

    async def fail(self, error: Any) -> None:
        """Fails the run with `error` (an exception, or a message) and ends the session."""
        self._close("failed")
        failure = as_exception(error)
        self._ended.set_exception(failure)
        assert self._task is not None
        try:
            await self._task
        except BaseException as thrown:  # noqa: BLE001
            if thrown is not failure:
                raise

    async def __aenter__(self) -> "AsyncSession":
        return self

    async def __aexit__(self, kind: Any, error: Any, tb: Any) -> None:
        """Leaving the block completes a session still open, or fails it with the exception that left it."""
        if not self.open:
            return
        if error is None:
            await self.complete()
        elif isinstance(error, Exception):
            await self.fail(error)
        else:
            await self.fail(RuntimeError(f"session interrupted: {kind.__name__}"))


class _State:
    def __init__(self, session: AsyncSession) -> None:
        self.set = session.state_set
        self.patch = session.state_patch
        self.get = session.state_get
        self.save = session.state_save
        self.versions = session.state_versions


class _Usage:
    def __init__(self, session: AsyncSession) -> None:
        self.record = session.usage_record


class _Gates:
    def __init__(self, session: AsyncSession) -> None:
        self.begin = session.begin_gate


async def attach(
    tide: "AsyncTidebase",
    target: Optional[AttachTarget],
    on_lease_lost: Optional[Callable[[TidebaseError], None]],
    extra: Mapping[str, Any],
) -> AsyncSession:
    if isinstance(target, str):
        workflow_name = (await tide.runs.get(target))["run"]["workflowName"]
        options = {**extra, "run_id": target}
        options.pop("workflow_name", None)
    else:
        workflow_name, options = run_options(target or {}, extra)
    return await AsyncSession.start(tide, workflow_name, options, on_lease_lost)
