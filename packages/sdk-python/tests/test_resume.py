import threading
import time
import unittest
import urllib.error

from harness import http, new_run_id, node_input_hashes, server_url
from tidebase import (
    DuplicateStepNameError,
    InputMismatchError,
    JsonDict,
    RunNotFoundError,
    StepLockedError,
    StepTimeoutError,
    Tidebase,
    WorkflowMismatchError,
    input_hash,
)


class Crash(Exception):
    pass


class ResumeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tide = Tidebase(url=server_url())

    @classmethod
    def tearDownClass(cls):
        cls.tide.close()

    def test_a_completed_step_never_re_executes_on_resume(self):
        run_id = new_run_id("resume")
        calls = []

        def workflow(run, input):
            plan = run.step("plan", lambda: calls.append("plan") or {"outline": ["a", "b"]}, input={"topic": input["topic"]})
            if run.attempt == 1:
                raise Crash("crashed after step 1")
            report = run.step("write", lambda: calls.append("write") or f"report on {plan['outline']}")
            return {"report": report}

        with self.assertRaises(Crash):
            self.tide.run("report", workflow, run_id=run_id, input={"topic": "tides"})
        self.assertEqual(self.tide.runs.get(run_id)["run"]["status"], "failed")

        result = self.tide.run("report", workflow, run_id=run_id)
        self.assertEqual(calls, ["plan", "write"])
        self.assertEqual(result, {"report": "report on ['a', 'b']"})
        detail = self.tide.runs.get(run_id)
        self.assertEqual(detail["run"]["status"], "completed")
        started = [e["payload"]["name"] for e in detail["events"] if e["type"] == "step.started"]
        self.assertEqual(started, ["plan", "write"])

    def test_a_completed_run_returns_its_stored_result_without_calling_fn(self):
        run_id = new_run_id("done")
        self.tide.run("done", lambda run, input: {"n": input["n"] * 2}, run_id=run_id, input={"n": 21})

        def must_not_run(run, input):
            raise AssertionError("a completed run called its function again")

        again = self.tide.run("done", must_not_run, run_id=run_id)
        self.assertEqual(again, {"n": 42})
        self.assertEqual(again.n, 42)

    def test_replayed_outputs_read_as_attributes_and_the_run_knows_what_it_replayed(self):
        run_id = new_run_id("attrs")
        seen = {}

        def workflow(run, input):
            out = run.step("agent", lambda: {"final_output": "hello", "turns": [{"role": "user"}]})
            seen["value"], seen["replayed"], seen["executed"] = out, run.replayed, run.executed
            if run.attempt == 1:
                raise Crash()
            return out["final_output"]

        with self.assertRaises(Crash):
            self.tide.run("attrs", workflow, run_id=run_id)
        self.assertEqual(seen["executed"], ["agent"])
        self.assertEqual(self.tide.run("attrs", workflow, run_id=run_id), "hello")
        self.assertIsInstance(seen["value"], JsonDict)
        self.assertEqual((seen["value"].final_output, seen["value"].turns[0].role), ("hello", "user"))
        self.assertEqual((seen["replayed"], seen["executed"]), (["agent"], []))

    def test_a_changed_step_input_is_refused_never_replayed(self):
        run_id = new_run_id("mismatch")
        with self.assertRaises(Crash):
            self.tide.run("m", self._crash_after_step, run_id=run_id)
        with self.assertRaises(InputMismatchError) as raised:
            self.tide.run("m", lambda run, input: run.step("s", lambda: 2, input={"prompt": "v2"}), run_id=run_id)
        self.assertEqual(raised.exception.expected_input_hash, input_hash({"prompt": "v1"}))
        self.assertEqual(raised.exception.actual_input_hash, input_hash({"prompt": "v2"}))
        self.assertEqual(self.tide.runs.get(run_id)["run"]["failureClass"], "input_mismatch")

    @staticmethod
    def _crash_after_step(run, input):
        run.step("s", lambda: 1, input={"prompt": "v1"})
        raise Crash()

    def test_a_step_name_used_twice_in_one_invocation_is_refused(self):
        def workflow(run, input):
            run.step("same", lambda: 1)
            run.step("same", lambda: 2)

        with self.assertRaises(DuplicateStepNameError):
            self.tide.run("dup", workflow, run_id=new_run_id("dup"))

    def test_a_run_id_of_another_workflow_is_refused(self):
        run_id = new_run_id("wf")
        self.tide.run("first", lambda run, input: 1, run_id=run_id)
        with self.assertRaises(WorkflowMismatchError):
            self.tide.run("second", lambda run, input: 2, run_id=run_id)

    def test_step_input_hashes_stored_by_python_equal_the_typescript_sdk_hashes(self):
        run_id = new_run_id("hash")
        inputs = [{"topic": "tides", "n": 1.0, "tags": ["b", "a"], "meta": {"z": 1, "é": None}}, "plain", [0.1, 1e21]]

        def workflow(run, input):
            for i, value in enumerate(inputs):
                run.step(f"s{i}", lambda: i, input=value)

        self.tide.run("hash", workflow, run_id=run_id)
        stored = [s["inputHash"] for s in self.tide.runs.get(run_id)["steps"]]
        self.assertEqual(stored, [input_hash(v) for v in inputs])
        from_ts = node_input_hashes(inputs)
        if from_ts is not None:
            self.assertEqual(stored, from_ts)

    def test_a_run_resumes_from_checkpoints_written_by_another_sdk_with_its_hash(self):
        # A TypeScript worker's checkpoint: written over plain HTTP with the TS-computed inputHash.
        run_id = new_run_id("cross")
        value = {"question": "why tides?", "k": 3}
        digest = (node_input_hashes([value]) or [input_hash(value)])[0]
        begun = http("POST", f"/runs/{run_id}/begin", {"workflowName": "cross", "create": {"input": {}}})
        http("POST", f"/runs/{run_id}/steps/checkpoint", {
            "name": "ask", "inputHash": digest, "input": value, "options": {}, "output": {"answer": "the moon"},
            "leaseOwner": begun["leaseOwner"], "leaseEpoch": begun["run"]["attempt"],
        })
        http("POST", f"/runs/{run_id}/release", {"leaseOwner": begun["leaseOwner"], "leaseEpoch": begun["run"]["attempt"]})

        def workflow(run, input):
            return run.step("ask", lambda: {"answer": "re-asked"}, input={"k": 3, "question": "why tides?"})

        self.assertEqual(self.tide.run("cross", workflow, run_id=run_id), {"answer": "the moon"})

    def test_retries_run_a_failing_step_again_and_record_each_failure(self):
        run_id = new_run_id("retry")
        attempts = []

        def flaky():
            attempts.append(1)
            if len(attempts) < 3:
                raise ConnectionError("flaky")
            return "ok"

        self.assertEqual(self.tide.run("retry", lambda run, input: run.step("call", flaky, retries=2), run_id=run_id), "ok")
        detail = self.tide.runs.get(run_id)
        self.assertEqual(len(attempts), 3)
        self.assertEqual(detail["steps"][0]["status"], "completed")
        failed = [e["payload"] for e in detail["events"] if e["type"] == "step.failed"]
        # WIRE.md lists `retryable` in step.failed too; the server sends status and resumeDecision.
        self.assertEqual([f["resumeDecision"] for f in failed], ["auto_retry", "auto_retry"])

    def test_an_unkeyed_side_effect_that_fails_parks_in_manual_review_and_is_never_run_again(self):
        run_id = new_run_id("email")
        sent = []

        def send():
            sent.append(1)
            raise TimeoutError("smtp timed out after sending?")

        workflow = lambda run, input: run.step("send-email", send, side_effects=["email"])  # noqa: E731
        with self.assertRaises(TimeoutError):
            self.tide.run("email", workflow, run_id=run_id)
        detail = self.tide.runs.get(run_id)
        self.assertEqual((detail["steps"][0]["status"], detail["run"]["failureClass"]), ("manual_review", "manual_review"))
        with self.assertRaises(StepLockedError):
            self.tide.run("email", workflow, run_id=run_id)
        self.assertEqual(len(sent), 1)

    def test_the_run_lease_is_heartbeated_while_a_long_step_runs(self):
        run_id = new_run_id("beat")
        entered = threading.Event()

        def slow():
            entered.set()
            time.sleep(1.5)
            return "done"

        outcome = {}
        thread = threading.Thread(
            target=lambda: outcome.setdefault("v", self.tide.run("beat", lambda run, input: run.step("slow", slow), run_id=run_id, lease_ms=300))
        )
        thread.start()
        entered.wait(10)
        time.sleep(0.8)  # well past the 300 ms lease: only heartbeats keep it
        self.assertEqual(self.tide.runs.get(run_id)["run"]["status"], "running")
        with self.assertRaises(urllib.error.HTTPError) as held:
            http("POST", f"/runs/{run_id}/begin", {"workflowName": "beat"})
        self.assertEqual(held.exception.code, 409)
        thread.join(20)
        self.assertEqual(outcome["v"], "done")
        self.assertEqual(self.tide.runs.get(run_id)["run"]["attempt"], 1)

    def test_a_step_past_its_timeout_fails_with_step_timeout_and_its_late_result_is_never_recorded(self):
        run_id = new_run_id("timeout")
        with self.assertRaises(StepTimeoutError):
            self.tide.run("timeout", lambda run, input: run.step("slow", lambda: time.sleep(2) or "late", timeout_s=0.2), run_id=run_id)
        time.sleep(2.2)
        step = self.tide.runs.get(run_id)["steps"][0]
        self.assertEqual((step["status"], step["output"]), ("failed", None))

    def test_an_unknown_run_is_run_not_found_with_status_and_code(self):
        with self.assertRaises(RunNotFoundError) as raised:
            self.tide.runs.get("no-such-run")
        self.assertEqual((raised.exception.status, raised.exception.code), (404, "run_not_found"))


if __name__ == "__main__":
    unittest.main()
