"""The OpenAI Agents example as processes: pipeline.py crashes after research, and the re-run resumes without re-running it.

`agents` is the local stand-in in tests/stand_in (the real openai-agents package is not
installable here). The server is TIDEBASE_TEST_URL when set, else one the SDK's test harness
starts (packages/sdk-python/tests/harness.py). The SDK is imported from packages/sdk-python/src.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest
import uuid
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent
REPO = EXAMPLE.parent.parent
sys.path.insert(0, str(REPO / "packages" / "sdk-python" / "tests"))  # the harness puts packages/sdk-python/src first on sys.path

from harness import new_run_id, server_url  # noqa: E402
from tidebase import Tidebase  # noqa: E402


class PipelineTest(unittest.TestCase):
    def setUp(self):
        self.calls = os.path.join(tempfile.mkdtemp(prefix="agents-example-"), "calls")
        self.env = {
            **os.environ,
            "TIDEBASE_URL": server_url(),
            "PYTHONPATH": os.pathsep.join([str(REPO / "packages" / "sdk-python" / "src"), str(EXAMPLE / "tests" / "stand_in")]),
            "AGENTS_STANDIN_CALLS": self.calls,
            # One worker identity across the runs: a restarted process takes its own lease back at once.
            "TIDEBASE_WORKER_ID": f"agents-example-{uuid.uuid4().hex[:8]}",
        }
        for key in ("TIDEBASE_API_KEY", "AGENTS_STANDIN_RAISE_IN", "AGENTS_STANDIN_DIE_IN"):
            self.env.pop(key, None)
        self.tide = Tidebase(url=server_url())
        self.addCleanup(self.tide.close)

    def pipeline(self, run_id, topic, **env):
        return subprocess.run(
            [sys.executable, "pipeline.py", run_id, topic], cwd=EXAMPLE, env={**self.env, **env}, capture_output=True, text=True, timeout=120
        )

    def agent_calls(self):
        with open(self.calls) as log:
            return log.read().split()

    def assert_resumed(self, run_id, topic):
        resumed = self.pipeline(run_id, topic)
        self.assertEqual(resumed.returncode, 0, resumed.stderr)
        self.assertEqual(resumed.stdout.strip(), f"[writer] [researcher] Research: {topic}")
        self.assertEqual(self.agent_calls(), ["researcher", "writer", "writer"], "research replayed from its checkpoint, not re-run")
        detail = self.tide.runs.get(run_id)
        self.assertEqual((detail["run"]["status"], detail["state"]["value"]), ("completed", {"phase": "done"}))
        self.assertEqual([s["name"] for s in detail["steps"]], ["research", "draft"])
        self.assertEqual(detail["steps"][0]["output"]["final_output"], f"[researcher] Research: {topic}")
        started = [e["payload"]["name"] for e in detail["events"] if e["type"] == "step.started"]
        self.assertEqual(started.count("research"), 1, "research started once across both processes")

        again = self.pipeline(run_id, topic)  # a completed run answers its stored result without running anything
        self.assertEqual((again.returncode, again.stdout.strip()), (0, f"[writer] [researcher] Research: {topic}"), again.stderr)
        self.assertEqual(len(self.agent_calls()), 3)

    def test_an_exception_in_the_writer_fails_the_run_and_the_rerun_resumes_after_research(self):
        run_id, topic = new_run_id("agents-raise"), f"tides-{uuid.uuid4().hex[:6]}"
        crashed = self.pipeline(run_id, topic, AGENTS_STANDIN_RAISE_IN="writer")
        self.assertNotEqual(crashed.returncode, 0)
        self.assertIn("writer crashed mid-run", crashed.stderr)
        self.assertEqual(self.agent_calls(), ["researcher", "writer"])
        self.assertEqual(self.tide.runs.get(run_id)["run"]["status"], "failed")
        self.assert_resumed(run_id, topic)

    def test_a_process_killed_inside_the_writer_resumes_after_research(self):
        run_id, topic = new_run_id("agents-die"), f"tides-{uuid.uuid4().hex[:6]}"
        died = self.pipeline(run_id, topic, AGENTS_STANDIN_DIE_IN="writer")
        self.assertEqual(died.returncode, 3, died.stderr)
        self.assertEqual(self.agent_calls(), ["researcher", "writer"])
        self.assertEqual(self.tide.runs.get(run_id)["run"]["status"], "running", "the dead process still holds its lease")
        self.assert_resumed(run_id, topic)


if __name__ == "__main__":
    unittest.main()
