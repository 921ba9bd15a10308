"""The FastAPI example over real HTTP: uvicorn serving app.py and worker.py as real processes, against a real server.

The server is TIDEBASE_TEST_URL (with TIDEBASE_TEST_WEBHOOK_SECRET, the secret it signs webhooks
with) when set, else one the SDK's test harness starts (packages/sdk-python/tests/harness.py).
The app and the worker import the SDK from packages/sdk-python/src (PYTHONPATH), not from an install.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent
REPO = EXAMPLE.parent.parent
SDK_TESTS = REPO / "packages" / "sdk-python" / "tests"
sys.path.insert(0, str(SDK_TESTS))  # the harness also puts packages/sdk-python/src first on sys.path
sys.path.insert(0, str(EXAMPLE))

from harness import free_port, new_run_id, server_url, wait_until, webhook_secret  # noqa: E402
from tidebase import Tidebase  # noqa: E402

try:
    import fastapi  # noqa: F401
    import uvicorn  # noqa: F401

    HAS_FASTAPI = True
except ImportError:
    HAS_FASTAPI = False


def request(method: str, url: str, body: bytes | None = None, headers: dict | None = None):
    """One HTTP request; answers (status, parsed JSON body)."""
    req = urllib.request.Request(url, data=body, method=method, headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class Process:
    """A child process of the example (cwd examples/fastapi), its output in a temporary file for failure messages."""

    def __init__(self, args, env):
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(args, cwd=EXAMPLE, env=env, stdout=self.log, stderr=subprocess.STDOUT)

        self.final_output = None

    def output(self) -> str:
        if self.final_output is not None:
            return self.final_output
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self, sig=signal.SIGINT, timeout=20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.final_output is None:
            self.final_output = self.output()
            self.log.close()
        return self.process.returncode


@unittest.skipUnless(HAS_FASTAPI, "fastapi and uvicorn are not installed (Debian: python3-fastapi python3-uvicorn)")
class FastApiExampleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.secret = webhook_secret()
        if not cls.secret:
            raise unittest.SkipTest("the server's webhook secret is unknown (TIDEBASE_TEST_WEBHOOK_SECRET)")
        cls.env = {
            **os.environ,
            "TIDEBASE_URL": server_url(),
            "TIDEBASE_WEBHOOK_SECRET": cls.secret,
            "PYTHONPATH": str(REPO / "packages" / "sdk-python" / "src"),
            "PYTHONUNBUFFERED": "1",
        }
        cls.env.pop("TIDEBASE_API_KEY", None)
        port = free_port()
        cls.app_url = f"http://127.0.0.1:{port}"
        cls.app = Process([sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)], cls.env)

        def up():
            if cls.app.process.poll() is not None:
                raise AssertionError(f"uvicorn exited:\n{cls.app.output()}")
            try:
                return request("GET", f"{cls.app_url}/openapi.json")[0] == 200
            except OSError:
                return False

        try:
            wait_until(up, 30, "uvicorn to serve the app")
        except BaseException:
            cls.app.stop()
            raise
        cls.tide = Tidebase(url=server_url())

    @classmethod
    def tearDownClass(cls):
        cls.tide.close()
        cls.app.stop()

    def status(self, run_id):
        code, body = request("GET", f"{self.app_url}/reports/{run_id}")
        self.assertEqual(code, 200, body)
        return body

    def test_posting_a_topic_twice_makes_one_run_that_the_worker_completes(self):
        topic = f"tides-{uuid.uuid4().hex[:8]}"
        body = json.dumps({"topic": topic}).encode()
        first = request("POST", f"{self.app_url}/reports", body)
        second = request("POST", f"{self.app_url}/reports", body)
        self.assertEqual(first[0], 200, first)
        self.assertEqual(first, second, "a double-submitted form makes one run")
        run_id = first[1]["runId"]
        self.assertEqual(self.status(run_id), {"status": "queued", "state": None}, "the route enqueued; nothing ran it yet")
        runs = [r["id"] for r in self.tide.runs.list(workflow_name="generate-report") if r.get("input") == {"topic": topic}]
        self.assertEqual(runs, [run_id], "one run of the topic on the server")

        worker = Process([sys.executable, "worker.py"], self.env)
        try:
            done = wait_until(lambda: (lambda s: s if s["status"] == "completed" else None)(self.status(run_id)), 30, "the worker to complete the report")
            self.assertEqual(done["state"]["value"], {"phase": "done", "sections": 3})
            detail = self.tide.runs.get(run_id)
            self.assertEqual(detail["run"]["result"], {"report": f"## {topic}: intro\n## {topic}: findings\n## {topic}: outlook"})
            self.assertEqual([s["name"] for s in detail["steps"]], ["outline", "write"])
        finally:
            code = worker.stop(signal.SIGINT)
        self.assertEqual(code, 0, f"the worker stops cleanly on Ctrl-C:\n{worker.output()}")

    def test_the_webhook_refuses_a_bad_signature_and_the_servers_signed_delivery_resumes_a_failed_run(self):
        import workflows

        def crash_after_outline(topic):
            def body(run, input):
                run.step("outline", lambda: workflows.plan(input["topic"]), input={"topic": input["topic"]})
                raise RuntimeError("the writer crashed")

            return body

        # A forged delivery: refused, and the run it names is not touched.
        forged_id = new_run_id("fastapi-forged")
        with self.assertRaises(RuntimeError):
            self.tide.run("generate-report", crash_after_outline("moon"), run_id=forged_id, input={"topic": "moon"})
        delivery = json.dumps({"type": "run.resume", "runId": forged_id, "workflowName": "generate-report", "reason": "failed", "attempt": 1}).encode()
        for headers in ({"x-tidebase-signature": "sha256=" + "0" * 64}, {}):
            code, answer = request("POST", f"{self.app_url}/tidebase", delivery, headers)
            self.assertEqual((code, answer), (401, {"detail": "invalid signature"}))
        time.sleep(0.5)
        self.assertEqual(self.tide.runs.get(forged_id)["run"]["status"], "failed")

        # The server's own signed delivery to the run's recovery webhook: the app resumes it from its checkpoint.
        run_id = new_run_id("fastapi-resume")
        with self.assertRaises(RuntimeError):
            self.tide.run(
                "generate-report", crash_after_outline("sea"), run_id=run_id, input={"topic": "sea"}, recovery_webhook=f"{self.app_url}/tidebase"
            )
        self.tide.runs.recover(run_id, reason="test")
        detail = wait_until(
            lambda: (lambda d: d if d["run"]["status"] == "completed" else None)(self.tide.runs.get(run_id)), 30, f"the webhook to resume the run\n{self.app.output()}"
        )
        started = [e["payload"]["name"] for e in detail["events"] if e["type"] == "step.started"]
        self.assertEqual(started, ["outline", "write"], "the completed outline step was not executed again")
        self.assertEqual(detail["run"]["result"], {"report": "## sea: intro\n## sea: findings\n## sea: outlook"})


if __name__ == "__main__":
    unittest.main()
