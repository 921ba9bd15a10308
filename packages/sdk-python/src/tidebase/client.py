"""The blocking client: `Tidebase()`."""

from __future__ import annotations

import inspect
import logging
import os
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, TypeVar

from . import api_protocol as api
from . import run_protocol
from .context import current_step, new_run_id, random_id
from .errors import UnserializableError
from .heartbeat import Heartbeat, release_bounded
from .namespaces import Gates, Queues, Runs, Schedules, Steps
from .ops import IO, drive
from .runner import create_options, run_context
from .transport import Transport
from .webhook import SIGNATURE_HEADER, check_delivery
from .workflow_run import WorkflowRun

log = logging.getLogger("tidebase")

T = TypeVar("T")
WorkflowFn = Callable[[WorkflowRun, Any], Any]


class Tidebase:
    """A client of a Tidebase server (`TIDEBASE_URL`, default http://localhost:7373; `TIDEBASE_API_KEY` as bearer)."""

    def __init__(
        self,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
        webhook_secret: Optional[str] = None,
        *,
        worker_id: Optional[str] = None,
        retry_transport_for_s: Optional[float] = None,
        request_timeout_s: Optional[float] = None,
    ) -> None:
        self.transport = Transport(url, api_key, retry_transport_for_s, request_timeout_s)
        self.url = self.transport.url
        self.webhook_secret = webhook_secret if webhook_secret is not None else (os.environ.get("TIDEBASE_WEBHOOK_SECRET") or None)
        #: This worker's stable lease owner name (TIDEBASE_WORKER_ID): restarted under it, it takes its runs back at once.
        self.worker_id = worker_id or os.environ.get("TIDEBASE_WORKER_ID") or None
        self._workflows: Dict[str, WorkflowFn] = {}
        self._io = IO(self.transport, self._run_here)
        self.runs = Runs(self._io, self)
        self.gates = Gates(self._io)
        self.steps = Steps(self._io)
        self.queues = Queues(self._io)
        self.schedules = Schedules(self._io)

    def health(self) -> Dict[str, Any]:
        return self.transport.request("GET", "/health")

    def workflow(self, name: str, fn: Optional[WorkflowFn] = None) -> Any:
        """Registers `fn(run, input)` under `name` for `tide.run(name)`, `tide.work`, webhooks and child runs.

        Also a decorator: `@tide.workflow("name")`.
        """
        if fn is None:
            return lambda f: self.workflow(name, f)
        self._workflows[name] = fn
        return fn

    def enqueue(
        self,
        name: str,
        input: Any = None,
        dedupe_key: Optional[str] = None,
        queue: str = "default",
        delay_ms: Optional[int] = None,
        priority: Optional[int] = None,
        max_attempts: Optional[int] = None,
        *,
        run_id: Optional[str] = None,
        metadata: Any = None,
        run_at: Any = None,
        deadline_ms: Optional[int] = None,
        recovery_webhook: Optional[str] = None,
        channels: Any = None,
    ) -> Dict[str, Any]:
        """Writes a durable queued run of `name`; answers `{"run": ..., "deduplicated": bool}`.

        One active run per (queue, dedupe_key): enqueuing the key again answers that run.
        """
        fields = {
            "runId": run_id,
            "input": input,
            "metadata": metadata,
            "dedupeKey": dedupe_key,
            "delayMs": delay_ms,
            "runAt": run_at,
            "priority": priority,
            "maxAttempts": max_attempts,
            "deadlineMs": deadline_ms,
            "recoveryWebhook": recovery_webhook,
            "channels": channels,
        }
        return drive(api.enqueue(name, queue, fields), self._io)

    def run(
        self,
        workflow_name: str,
        fn: Optional[WorkflowFn] = None,
        run_id: Optional[str] = None,
        input: Any = None,
        *,
        metadata: Any = None,
        recovery_webhook: Optional[str] = None,
        channels: Any = None,
        budget: Optional[Dict[str, Any]] = None,
        deadline_ms: Optional[int] = None,
        lease_ms: Optional[int] = None,
        worker_id: Optional[str] = None,
        on_lease_lost: Optional[Callable[[Exception], None]] = None,
    ) -> Any:
        """Runs `fn(run, input)` as the workflow `workflow_name`, or resumes the run `run_id` names.

        Completed steps return their checkpoints without running; a completed run returns its stored
        result without calling `fn`. Without `fn`, the workflow registered under the name runs.
        """
        workflow = fn or self._workflows.get(workflow_name)
        if workflow is None:
            raise ValueError(f"no workflow registered as {workflow_name}")
        owner = worker_id or self.worker_id or f"worker_{random_id()}"
        create = run_protocol.create_payload(create_options(input, metadata, recovery_webhook, channels, budget, deadline_ms))
        started = drive(run_protocol.start(workflow_name, run_id or new_run_id(), owner, create, lease_ms), self._io)
        if started.lease_owner is None:
            return run_protocol.stored_result(started.run)
        ctx = run_context(workflow_name, started, on_lease_lost)
        beat = Heartbeat(self._io, ctx, started.run, lease_ms)
        token = current_step.set(None)
        try:
            result = workflow(WorkflowRun(ctx, self._io), ctx.input)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                raise TypeError(f"workflow {workflow_name} is async: run it with tidebase.aio.AsyncTidebase")
        except Exception as error:
            beat.stop()
            drive(run_protocol.fail(ctx, error), self._io)
            raise
        except BaseException:
            # Interrupted (Ctrl-C): the lease goes back, so a re-run resumes at once.
            beat.stop()
            release_bounded(self._io, ctx)
            raise
        finally:
            beat.stop()
            current_step.reset(token)
        try:
            return drive(run_protocol.complete(ctx, result), self._io)
        except UnserializableError as error:
            drive(run_protocol.fail(ctx, error), self._io)
            raise

    def _run_here(self, workflow_name: str, run_id: str) -> bool:
        """A child whose workflow is registered here runs here, resumed by its run id like any run."""
        if workflow_name not in self._workflows:
            return False
        try:
            self.run(workflow_name, run_id=run_id)
        except Exception:
            pass  # its outcome is on the child run, which the parent reads
        return True

    def work(
        self,
        queues: Optional[Iterable[str]] = None,
        concurrency: int = 1,
        stop_event: Optional[threading.Event] = None,
        *,
        wait_ms: int = 10_000,
        worker_id: Optional[str] = None,
        shutdown_grace_s: float = 30.0,
        on_error: Optional[Callable[[BaseException, Dict[str, Any]], None]] = None,
    ) -> None:
        """Claims queued runs of the registered workflows and runs them, `concurrency` at a time. Blocks.

        Each slot long-polls a claim (`wait_ms`), runs the run under the claim's lease (heartbeated),
        and claims again. Stops on KeyboardInterrupt or when `stop_event` is set: claiming ends at
        once, runs in progress get `shutdown_grace_s` to finish. A run of a workflow not registered
        here is failed, so it is requeued for a worker that has it.
        """
        from .worker import Worker

        Worker(self, list(queues or ["default"]), concurrency, wait_ms, worker_id, shutdown_grace_s, on_error).run(stop_event)

    def handle_webhook(self, raw_body: bytes, signature: Optional[str]) -> Tuple[int, Dict[str, Any]]:
        """Answers a recovery (`run.resume`) or push (`run.invoke`) delivery and re-invokes its run in a thread.

        Verifies `signature` (the `x-tidebase-signature` header) over the raw bytes when a webhook
        secret is set. 202 when the run was started, 401 bad signature, 404 unknown workflow.
        """
        status, body, invocation = check_delivery(raw_body, signature, self.webhook_secret)
        if invocation is None:
            return status, body
        workflow = self._workflows.get(invocation.workflow_name)
        if workflow is None:
            return 404, {"error": f"no workflow registered as {invocation.workflow_name}"}

        def resume() -> None:
            try:
                self.run(invocation.workflow_name, workflow, run_id=invocation.run_id, worker_id=invocation.lease_owner)
            except Exception:
                log.exception("tidebase: run %s (%s) failed", invocation.run_id, invocation.workflow_name)

        threading.Thread(target=resume, name=f"tidebase-webhook-{invocation.run_id}", daemon=True).start()
        return status, body

    def webhook(self) -> Callable[[Dict[str, Any], Callable[..., Any]], List[bytes]]:
        """A WSGI application for recovery and push webhooks (mount it at the URL the server posts to)."""
        import json

        def app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> List[bytes]:
            if environ.get("REQUEST_METHOD") != "POST":
                status, body = 405, {"error": "method not allowed"}
            else:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                raw = environ["wsgi.input"].read(length) if length else b""
                header = environ.get("HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"))
                status, body = self.handle_webhook(raw, header)
            data = json.dumps(body).encode("utf-8")
            start_response(f"{status} {_REASONS.get(status, '')}", [("content-type", "application/json"), ("content-length", str(len(data)))])
            return [data]

        return app

    def close(self) -> None:
        """Closes the kept-alive connections (a later call opens new ones)."""
        self.transport.close()


_REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
