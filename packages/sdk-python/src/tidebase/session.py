"""Sessions: a run driven step by step from outside a workflow function (a chat, an IDE, a notebook).

A session rides on a workflow run whose function waits until the caller ends the session, so the
run's lease, heartbeat, checkpoints and fencing are exactly a workflow's. The blocking client runs
that function in a thread of its own; the session's calls run in the caller's thread.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple, TypeVar, Union

from .errors import RunCancelledError, SessionClosedError, TidebaseError
from .gate_protocol import GateState
from .workflow_run import WorkflowRun

if TYPE_CHECKING:
    from .client import Tidebase

T = TypeVar("T")

#: What to attach to: a run id, or {"workflow_name", "input"?, "run_id"?, and any other `tide.run` option}.
AttachTarget = Union[str, Mapping[str, Any]]

_ALIASES = {"workflowName": "workflow_name", "runId": "run_id"}


def run_options(target: Mapping[str, Any], extra: Mapping[str, Any]) -> Tuple[str, Dict[str, Any]]:
    """The workflow name and `tide.run` keyword arguments a mapping target (and keyword arguments) name."""
    options = {_ALIASES.get(key, key): value for key, value in {**target, **extra}.items()}
    workflow_name = options.pop("workflow_name", None)
    if not isinstance(workflow_name, str) or not workflow_name:
        raise ValueError("attach needs a run id or {'workflow_name': ..., 'input'?: ..., 'run_id'?: ...}")
    options.pop("on_lease_lost", None)
    return workflow_name, options


def as_exception(error: Any) -> BaseException:
    return error if isinstance(error, BaseException) else RuntimeError(str(error))


class _Closing:
    """What sync and async sessions share: whether the session is open, and why it closed."""

    def __init__(self) -> None:
        self._closed: Optional[str] = None
        self._lost: Optional[TidebaseError] = None
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        """False once the session completed, failed, or lost its lease."""
        return self._closed is None

    def _guard(self) -> None:
        if self._closed is not None:
            raise self._lost if self._lost is not None else SessionClosedError(self.run_id, self._closed)  # type: ignore[attr-defined]

    def _close(self, reason: str) -> None:
        with self._lock:
            self._guard()
            self._closed = reason

    def _refused(self, refusal: TidebaseError) -> bool:
        """Marks the session lost to `refusal`; False when it had already ended."""
        with self._lock:
            if self._closed is not None:
                return False
            self._closed = "cancelled" if isinstance(refusal, RunCancelledError) else "lease_lost"
            self._lost = refusal
            return True


class Session(_Closing):
    """A session of the blocking client: `tide.runs.attach(...)`.

    `step`, `state`, `snapshot`, `usage` and `gates.begin` are a workflow run's (the same
    checkpoints and replay); `complete(result)` or `fail(error)` ends the run and the session, and
    every write after that raises SessionClosedError (or, after a takeover, the LeaseLostError /
    RunCancelledError the heartbeat met).
    """

    def __init__(
        self,
        tide: "Tidebase",
        workflow_name: str,
        options: Dict[str, Any],
        on_lease_lost: Optional[Callable[[TidebaseError], None]] = None,
    ) -> None:
        super().__init__()
        self._on_lease_lost = on_lease_lost
        self._ready = threading.Event()
        self._ended = threading.Event()
        self._outcome: Tuple[str, Any] = ("completed", None)
        self._run: Optional[WorkflowRun] = None
        self._result: List[Any] = []
        self._error: List[BaseException] = []
        self.run_id: str = options.get("run_id") or ""

        def body(run: WorkflowRun, input: Any) -> Any:
            self._run = run
            self._ready.set()
            self._ended.wait()
            how, value = self._outcome
            if how == "completed":
                return value
            raise value

        def drive() -> None:
            try:
                self._result.append(tide.run(workflow_name, body, on_lease_lost=self._lease_lost, **options))
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                self._error.append(error)
            finally:
                self._ready.set()

        self._thread = threading.Thread(target=drive, name=f"tidebase-session-{workflow_name}", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._run is None:
            self._thread.join()
            if self._error:
                raise self._error[0]
            # The run was already completed: there is nothing to drive.
            raise SessionClosedError(self.run_id, "completed")
        run = self._run
        self.run_id = run.run_id
        self.workflow_name: str = run.workflow_name
        self.input: Any = run.input
        self.state = _State(self)
        self.usage = _Usage(self)
        self.gates = _Gates(self)

    def _lease_lost(self, refusal: TidebaseError) -> None:
        if not self._refused(refusal):
            return
        self._outcome = ("failed", refusal)
        self._ended.set()
        if self._on_lease_lost is not None:
            self._on_lease_lost(refusal)

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

    def _target(self) -> WorkflowRun:
        self._guard()
        assert self._run is not None
        return self._run

    def step(self, name: str, fn: Callable[[], T], input: Any = None, **options: Any) -> T:
        """`run.step` of the session's run: `fn()` runs once per run; a checkpoint of this name and input replays."""
        return self._target().step(name, fn, input, **options)

    def state_set(self, value: Any, **options: Any) -> Dict[str, Any]:
        return self._target().state_set(value, **options)

    def state_patch(self, value: Dict[str, Any], **options: Any) -> Dict[str, Any]:
        return self._target().state_patch(value, **options)

    def state_get(self, stream: Optional[str] = None) -> Any:
        return self._target().state_get(stream)

    def state_save(self, label: str, **options: Any) -> Dict[str, Any]:
        return self._target().state_save(label, **options)

    def state_versions(self, stream: Optional[str] = None, labeled: Optional[bool] = None) -> List[Dict[str, Any]]:
        return self._target().state_versions(stream, labeled)

    def snapshot(self, label: str, state: Any, **options: Any) -> Dict[str, Any]:
        return self._target().snapshot(label, state, **options)

    def usage_record(self, **fields: Any) -> Dict[str, Any]:
        return self._target().usage_record(**fields)

    def begin_gate(self, name: str, prompt: str, data: Any = None, timeout_s: Optional[float] = None, **options: Any) -> GateState:
        """Opens the gate (or finds it) and never blocks: pending, or decided with its decision."""
        return self._target().open_gate(name, prompt, data, timeout_s, **options)

    def complete(self, result: Any = None) -> Any:
        """Completes the run with `result` and ends the session; answers the stored result."""
        self._close("completed")
        self._outcome = ("completed", result)
        self._ended.set()
        self._thread.join()
        if self._error:
            raise self._error[0]
        return self._result[0] if self._result else None

    def fail(self, error: Any) -> None:
        """Fails the run with `error` (an exception, or a message) and ends the session; a resume may run it again."""
        self._close("failed")
        failure = as_exception(error)
        self._outcome = ("failed", failure)
        self._ended.set()
        self._thread.join()
        if self._error and self._error[0] is not failure:
            raise self._error[0]

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        """Leaving the block completes a session still open, or fails it with the exception that left it."""
        if not self.open:
            return
        if error is None:
            self.complete()
        elif isinstance(error, Exception):
            self.fail(error)
        else:
            self.fail(RuntimeError(f"session interrupted: {kind.__name__}"))


class _State:
    def __init__(self, session: Session) -> None:
        self.set = session.state_set
        self.patch = session.state_patch
        self.get = session.state_get
        self.save = session.state_save
        self.versions = session.state_versions


class _Usage:
    def __init__(self, session: Session) -> None:
        self.record = session.usage_record


class _Gates:
    def __init__(self, session: Session) -> None:
        self.begin = session.begin_gate


def attach(
    tide: "Tidebase", target: Optional[AttachTarget], on_lease_lost: Optional[Callable[[TidebaseError], None]], extra: Mapping[str, Any]
) -> Session:
    if isinstance(target, str):
        workflow_name, options = tide.runs.get(target)["run"]["workflowName"], {**extra, "run_id": target}
        options.pop("workflow_name", None)
    else:
        workflow_name, options = run_options(target or {}, extra)
    return Session(tide, workflow_name, options, on_lease_lost)


__all__ = ["AttachTarget", "Session", "SessionClosedError"]
