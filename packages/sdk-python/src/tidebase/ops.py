"""The protocol as generators that yield what they need done; one driver does it blocking, the other on asyncio.

Every exchange with the server (a run's begin, a step, a gate, a child) is written once, as a
generator yielding operations: an HTTP request, a pause, a call of the step's function, a wait
for a run event. `drive` performs them in this thread; `drive_async` awaits them, so the sync
and async clients speak exactly the same protocol.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Generator, List, Optional, TypeVar, Union

from .context import StepScope, current_step
from .errors import StepTimeoutError
from .events import wait_for_event
from .transport import _NO_BODY, Transport

T = TypeVar("T")


@dataclass
class Http:
    method: str
    path: str
    body: Any = _NO_BODY
    query: Optional[Dict[str, Any]] = None
    headers: Optional[Dict[str, str]] = None
    run_id: Optional[str] = None
    timeout_s: Optional[float] = None


@dataclass
class Sleep:
    seconds: float


@dataclass
class Call:
    """Run the step's function in `scope`; answers its value, raises what it raised."""

    scope: StepScope
    timeout_s: Optional[float] = None


@dataclass
class Announced:
    value: Any = None
    error: Optional[BaseException] = None
    #: The announcement's answer, or why it failed; both None when the function ended first.
    answer: Any = None
    answer_error: Optional[BaseException] = None


@dataclass
class CallAnnounced:
    """Run the step's function; if it is still running after `after_s`, send `announce` meanwhile."""

    scope: StepScope
    after_s: float
    announce: Http
    timeout_s: Optional[float] = None


@dataclass
class WaitEvent:
    """The first event of `run_id` after `after` that `match` accepts, or None when the stream ends or `timeout_s` passes."""

    run_id: str
    after: int
    types: Optional[List[str]]
    match: Callable[[Dict[str, Any]], bool]
    timeout_s: float


@dataclass
class RunHere:
    """Run the workflow registered as `workflow_name` on run `run_id` here; answers False when none is registered."""

    workflow_name: str
    run_id: str


@dataclass
class Parallel:
    """Drive each protocol concurrently; answers their results in order (the first failure is raised)."""

    protocols: List[Generator[Any, Any, Any]] = field(default_factory=list)


Op = Union[Http, Sleep, Call, CallAnnounced, WaitEvent, RunHere, Parallel]
Protocol = Generator[Op, Any, T]


class IO:
    """What the drivers need besides the protocol: the transport and how to run a registered workflow here."""

    def __init__(self, transport: Transport, run_here: Callable[[str, str], Any]) -> None:
        self.transport = transport
        self.run_here = run_here


def _http(io: IO, op: Http) -> Any:
    return io.transport.request(
        op.method, op.path, op.body, query=op.query, headers=op.headers, run_id=op.run_id, timeout_s=op.timeout_s
    )


def _wait(io: IO, op: WaitEvent) -> Any:
    return wait_for_event(io.transport, op.run_id, op.after, op.types, op.match, op.timeout_s)


def drive(protocol: Protocol[T], io: IO, fn: Optional[Callable[[], Any]] = None) -> T:
    """Runs `protocol` in this thread; `fn` is the step function its Call operations run."""
    send: Any = None
    throw: Optional[BaseException] = None
    while True:
        try:
            op = protocol.throw(throw) if throw is not None else protocol.send(send)
        except StopIteration as stop:
            return stop.value
        send, throw = None, None
        try:
            send = _perform(op, io, fn)
        except BaseException as error:  # noqa: B902 - handed to the protocol, which decides
            throw = error


def _perform(op: Op, io: IO, fn: Optional[Callable[[], Any]]) -> Any:
    if isinstance(op, Http):
        return _http(io, op)
    if isinstance(op, Sleep):
        time.sleep(op.seconds)
        return None
    if isinstance(op, Call):
        return _call_sync(fn, op.scope, op.timeout_s)
    if isinstance(op, CallAnnounced):
        return _call_announced_sync(io, fn, op)
    if isinstance(op, WaitEvent):
        return _wait(io, op)
    if isinstance(op, RunHere):
        return io.run_here(op.workflow_name, op.run_id)
    if isinstance(op, Parallel):
        return _parallel_sync(io, op.protocols)
    raise TypeError(f"unknown operation {op!r}")


def _not_awaitable(value: Any) -> Any:
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()
        raise TypeError("the step function returned an awaitable: use tidebase.aio.AsyncTidebase for async steps")
    return value


def _call_sync(fn: Optional[Callable[[], Any]], scope: StepScope, timeout_s: Optional[float]) -> Any:
    assert fn is not None
    token = current_step.set(scope)
    try:
        if timeout_s is None:
            return _not_awaitable(fn())
        context = contextvars.copy_context()
        box: Dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = context.run(fn)
            except BaseException as error:  # noqa: B902
                box["error"] = error

        thread = threading.Thread(target=target, name=f"tidebase-step-{scope.name}", daemon=True)
        thread.start()
        thread.join(timeout_s)
        if thread.is_alive():
            # The function cannot be stopped from outside; its late result is never recorded.
            raise StepTimeoutError(scope.name, timeout_s)
        if "error" in box:
            raise box["error"]
        return _not_awaitable(box["value"])
    finally:
        current_step.reset(token)


class _Announcer:
    """Sends the announcement from a timer thread if the function is still running when it fires."""

    def __init__(self, io: IO, op: CallAnnounced) -> None:
        self.result = Announced()
        self._timer = threading.Timer(op.after_s, self._announce, args=(io, op.announce))
        self._timer.daemon = True
        self._timer.start()

    def _announce(self, io: IO, announce: Http) -> None:
        try:
            self.result.answer = _http(io, announce)
        except BaseException as error:  # noqa: B902
            self.result.answer_error = error

    def finish(self) -> None:
        # Once sent, the announcement runs to its end: whether the step was begun must be known.
        self._timer.cancel()
        self._timer.join()


def _call_announced_sync(io: IO, fn: Optional[Callable[[], Any]], op: CallAnnounced) -> Announced:
    announcer = _Announcer(io, op)
    try:
        announcer.result.value = _call_sync(fn, op.scope, op.timeout_s)
    except Exception as error:
        announcer.result.error = error
    finally:
        announcer.finish()
    return announcer.result


def _parallel_sync(io: IO, protocols: List[Protocol[Any]]) -> List[Any]:
    if len(protocols) <= 1:
        return [drive(p, io) for p in protocols]
    results: List[Any] = [None] * len(protocols)
    errors: List[Optional[BaseException]] = [None] * len(protocols)

    def run(i: int, protocol: Protocol[Any], context: contextvars.Context) -> None:
        try:
            results[i] = context.run(drive, protocol, io)
        except BaseException as error:  # noqa: B902
            errors[i] = error

    threads = [
        threading.Thread(target=run, args=(i, p, contextvars.copy_context()), daemon=True) for i, p in enumerate(protocols)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for error in errors:
        if error is not None:
            raise error
    return results


async def drive_async(protocol: Protocol[T], io: IO, fn: Optional[Callable[[], Any]] = None) -> T:
    """Runs `protocol` on the event loop: requests and event waits in threads, the step function awaited here."""
    send: Any = None
    throw: Optional[BaseException] = None
    while True:
        try:
            op = protocol.throw(throw) if throw is not None else protocol.send(send)
        except StopIteration as stop:
            return stop.value
        send, throw = None, None
        try:
            send = await _perform_async(op, io, fn)
        except BaseException as error:  # noqa: B902
            throw = error


async def _perform_async(op: Op, io: IO, fn: Optional[Callable[[], Any]]) -> Any:
    if isinstance(op, Http):
        return await asyncio.to_thread(_http, io, op)
    if isinstance(op, Sleep):
        await asyncio.sleep(op.seconds)
        return None
    if isinstance(op, Call):
        return await _call_async(fn, op.scope, op.timeout_s)
    if isinstance(op, CallAnnounced):
        announcer = _Announcer(io, op)
        try:
            announcer.result.value = await _call_async(fn, op.scope, op.timeout_s)
        except Exception as error:
            announcer.result.error = error
        finally:
            await asyncio.to_thread(announcer.finish)
        return announcer.result
    if isinstance(op, WaitEvent):
        return await asyncio.to_thread(_wait, io, op)
    if isinstance(op, RunHere):
        ran = io.run_here(op.workflow_name, op.run_id)
        return await ran if inspect.isawaitable(ran) else ran
    if isinstance(op, Parallel):
        return list(await asyncio.gather(*(drive_async(p, io) for p in op.protocols)))
    raise TypeError(f"unknown operation {op!r}")


async def _call_async(fn: Optional[Callable[[], Any]], scope: StepScope, timeout_s: Optional[float]) -> Any:
    assert fn is not None
    token = current_step.set(scope)
    try:
        value = fn()
        if not inspect.isawaitable(value):
            return value
        if timeout_s is None:
            return await value
        try:
            return await asyncio.wait_for(_awaited(value), timeout_s)
        except asyncio.TimeoutError:
            raise StepTimeoutError(scope.name, timeout_s) from None
    finally:
        current_step.reset(token)


async def _awaited(value: Awaitable[Any]) -> Any:
    return await value
