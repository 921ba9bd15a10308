"""The docs' Python snippets (tests/seeds/, copied as written) run against a real server."""

import ast
import asyncio
import importlib
import inspect
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
from pathlib import Path

from harness import PACKAGE, new_run_id, server_url, wait_until, webhook_secret
from tidebase import Tidebase, sign_webhook_body

SEEDS = Path(__file__).resolve().parent / "seeds"


class SeedEnv:
    """TIDEBASE_URL (and the webhook secret) in the environment, and the seeds' modules importable, for one test."""

    def __init__(self, **extra):
        self.env = {"TIDEBASE_URL": server_url(), **extra}
        self.saved = {}

    def __enter__(self):
        for key, value in self.env.items():
            self.saved[key] = os.environ.get(key)
            os.environ[key] = value
        sys.path.insert(0, str(SEEDS))
        return self

    def __exit__(self, *exc):
        sys.path.remove(str(SEEDS))
        for name in ("agents", "workflows", "fastapi_app"):
            sys.modules.pop(name, None)
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


async def run_snippet(name, namespace):
    """Executes a seed file as written; a top-level `await` (as in a notebook) is awaited."""
    path = SEEDS / name
    code = compile(path.read_text(), str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    outcome = eval(code, namespace)  # noqa: S307 - the doc's own code
    if inspect.iscoroutine(outcome):
        await outcome
    return namespace


async def asgi_call(app, method, path, body=b"", headers=()):
    """One request through an ASGI app, without an HTTP client library."""
    sent = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
        "server": ("testserver", 80), "headers": [(b"content-type", b"application/json"), *headers],
    }
    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(payload) if payload else None


class AgentsSeedTest(unittest.TestCase):
    def test_the_async_pipeline_runs_as_written_and_a_crash_resumes_without_rerunning_finished_agent_runs(self):
        run_id, topic = new_run_id("agents"), f"tides-{uuid.uuid4().hex[:6]}"
        with SeedEnv():
            agents = importlib.import_module("agents")
            agents.FAIL_ONCE.append("writer")
            with self.assertRaises(RuntimeError):
                asyncio.run(run_snippet("research_pipeline.py", {"run_id": run_id, "topic": topic, "__name__": "seed"}))
            self.assertEqual(agents.CALLS, ["researcher", "writer"])

            namespace = asyncio.run(run_snippet("research_pipeline.py", {"run_id": run_id, "topic": topic, "__name__": "seed"}))
            self.assertEqual(agents.CALLS, ["researcher", "writer", "writer"], "research replayed from its checkpoint")
            self.assertEqual(namespace["result"], f"[writer] [researcher] Research: {topic}")

            detail = Tidebase().runs.get(run_id)
        self.assertEqual((detail["run"]["status"], detail["state"]["value"]), ("completed", {"phase": "done"}))
        research = detail["steps"][0]["output"]
        self.assertEqual(research["final_output"], f"[researcher] Research: {topic}")
        self.assertNotIn("_last_agent", research, "private fields of a result object are not stored")

    def test_the_tool_snippet_checkpoints_a_keyed_side_effect_so_a_resumed_agent_never_fires_it_twice(self):
        run_id = new_run_id("tools")
        created = []

        class TicketApi:
            async def create(self, title, body):
                created.append(title)
                return f"TICKET-{len(created)}"

        with SeedEnv():
            from agents import function_tool
            from tidebase.aio import AsyncTidebase

            tools = asyncio.run(run_snippet("agent_tools.py", {"function_tool": function_tool, "ticket_api": TicketApi()}))

            async def agent_run(run, input):
                (create_ticket,) = tools["make_tools"](run)
                ticket = await create_ticket("outage", "the moon is late")
                if run.attempt == 1:
                    raise RuntimeError("the agent crashed after its tool call")
                return ticket

            tide = AsyncTidebase()
            with self.assertRaises(RuntimeError):
                asyncio.run(tide.run("tools", agent_run, run_id=run_id))
            self.assertEqual(asyncio.run(tide.run("tools", agent_run, run_id=run_id)), "TICKET-1")
            step = asyncio.run(tide.runs.get(run_id))["steps"][0]
        self.assertEqual(created, ["outage"])
        self.assertEqual((step["name"], step["resumeContract"]["sideEffects"]), ("create-ticket:outage", ["ticketing-api"]))
        self.assertEqual(step["resumeContract"]["idempotencyKey"], f"ticket-{run_id}-outage")

    def test_the_usage_snippet_records_the_agent_runs_tokens_inside_its_step(self):
        run_id = new_run_id("usage")
        with SeedEnv():
            from agents import Agent, Runner
            from tidebase.aio import AsyncTidebase

            async def workflow(run, input):
                async def research():
                    result = await Runner.run(Agent("researcher", ""), "Research: tides")
                    await run_snippet("record_usage.py", {"run": run, "usage": result.context_wrapper.usage})
                    return result

                return (await run.step("research", research)).final_output

            tide = AsyncTidebase()
            asyncio.run(tide.run("usage-seed", workflow, run_id=run_id))
            usage = asyncio.run(tide.runs.get(run_id))["usage"]
        self.assertEqual([(u["kind"], u["provider"], u["model"]) for u in usage], [("llm", "openai", "gpt-4.1-mini")])
        self.assertEqual(usage[0]["totalTokens"], len("Research: tides") + len("[researcher] Research: tides"))


class WorkerSeedTest(unittest.TestCase):
    def test_the_worker_snippet_runs_queued_reports_and_stops_cleanly_on_ctrl_c(self):
        tide = Tidebase(url=server_url())
        topic = f"tides-{uuid.uuid4().hex[:8]}"
        env = {**os.environ, "TIDEBASE_URL": server_url(), "PYTHONPATH": os.pathsep.join([str(PACKAGE / "src"), str(SEEDS)])}
        worker = subprocess.Popen([sys.executable, str(SEEDS / "report_worker.py")], env=env, stderr=subprocess.PIPE, text=True)
        try:
            enqueued = tide.enqueue("generate-report", input={"topic": topic}, dedupe_key=f"report-{topic}")
            run_id = enqueued["run"]["id"]
            detail = wait_until(lambda: (lambda d: d if d["run"]["status"] == "completed" else None)(tide.runs.get(run_id)), 30, "the report")
            self.assertEqual(detail["run"]["result"]["report"], f"{topic}: intro\n{topic}: findings")
            self.assertEqual(detail["state"]["value"], {"phase": "done", "sections": 2})
            worker.send_signal(signal.SIGINT)
            _, stderr = worker.communicate(timeout=20)
            self.assertEqual(worker.returncode, 0, stderr)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
            tide.close()


class FastApiSeedTest(unittest.TestCase):
    def setUp(self):
        try:
            import fastapi  # noqa: F401
        except ImportError:
            self.skipTest("fastapi is not installed (Debian: python3-fastapi)")
        if not webhook_secret():
            self.skipTest("the server's webhook secret is unknown (TIDEBASE_TEST_WEBHOOK_SECRET)")

    def test_the_fastapi_app_enqueues_once_per_topic_and_reports_the_workers_progress(self):
        topic = f"tides-{uuid.uuid4().hex[:8]}"
        with SeedEnv(TIDEBASE_WEBHOOK_SECRET=webhook_secret()):
            module = importlib.import_module("fastapi_app")
            app, tide = module.app, module.tide
            body = json.dumps({"topic": topic}).encode()
            status, first = asyncio.run(asgi_call(app, "POST", "/reports", body))
            _, second = asyncio.run(asgi_call(app, "POST", "/reports", body))
            self.assertEqual(status, 200)
            self.assertEqual(first, second, "a double-submitted form makes one run")
            run_id = first["runId"]
            self.assertEqual(asyncio.run(asgi_call(app, "GET", f"/reports/{run_id}"))[1], {"status": "queued", "state": None})

            tide.workflow("generate-report", module.generate_report)
            stop = threading.Event()
            worker = threading.Thread(target=tide.work, kwargs={"stop_event": stop, "wait_ms": 1_000})
            worker.start()
            try:
                done = wait_until(
                    lambda: (lambda r: r if r[1]["status"] == "completed" else None)(asyncio.run(asgi_call(app, "GET", f"/reports/{run_id}"))),
                    30,
                    "the report",
                )
            finally:
                stop.set()
                worker.join(15)
        self.assertEqual(done[1]["state"]["value"], {"phase": "done", "sections": 2})

    def test_the_fastapi_webhook_refuses_a_bad_signature_and_resumes_a_failed_run_from_its_checkpoint(self):
        run_id = new_run_id("fastapi-resume")
        flag = os.path.join(tempfile.mkdtemp(), "crashed")
        with SeedEnv(TIDEBASE_WEBHOOK_SECRET=webhook_secret(), REPORT_CRASH_FLAG=flag):
            module = importlib.import_module("fastapi_app")
            app, tide = module.app, module.tide
            with self.assertRaises(RuntimeError):
                tide.run("generate-report", module.generate_report, run_id=run_id, input={"topic": "moon"})
            self.assertEqual(tide.runs.get(run_id)["run"]["status"], "failed")

            delivery = json.dumps({"type": "run.resume", "runId": run_id, "workflowName": "generate-report", "reason": "failed", "attempt": 1}).encode()
            unsigned = asyncio.run(asgi_call(app, "POST", "/tidebase", delivery, [(b"x-tidebase-signature", b"sha256=bad")]))
            self.assertEqual(unsigned[0], 401)
            signature = sign_webhook_body(delivery, webhook_secret()).encode()
            status, accepted = asyncio.run(asgi_call(app, "POST", "/tidebase", delivery, [(b"x-tidebase-signature", signature)]))
            self.assertEqual((status, accepted), (200, {"accepted": True, "runId": run_id}))
            detail = wait_until(lambda: (lambda d: d if d["run"]["status"] == "completed" else None)(tide.runs.get(run_id)), 30, "resumed")
        started = [e["payload"]["name"] for e in detail["events"] if e["type"] == "step.started"]
        self.assertEqual(started, ["outline", "write"], "the completed step was not executed again")
        self.assertEqual(detail["run"]["result"], {"report": "moon: intro\nmoon: findings"})


if __name__ == "__main__":
    unittest.main()
