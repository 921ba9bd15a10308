import unittest

from harness import new_run_id, server_url
from tidebase import StateNotFoundError, Tidebase, UnserializableError


class Crash(Exception):
    pass


class StateUsageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tide = Tidebase(url=server_url())

    @classmethod
    def tearDownClass(cls):
        cls.tide.close()

    def test_state_and_usage_appear_in_runs_get(self):
        run_id = new_run_id("state")

        def workflow(run, input):
            run.state_set({"phase": "research", "progress": 0.1})

            def research():
                run.usage_record(kind="llm", provider="openai", model="gpt-4.1-mini", input_tokens=120, output_tokens=30, cost_usd=0.002)
                return "findings"

            # A leased step (it names a side effect) has its id before it runs, so its usage carries it.
            run.step("research", research, side_effects=["openai"], idempotency_key=f"research-{run.run_id}")
            run.state_patch({"progress": 0.9})
            run.state.save("after-research")
            run.usage.record(kind="tool", label="search", quantity=3, unit="calls")
            self.assertEqual(run.state_get(), {"phase": "research", "progress": 0.9})
            return "ok"

        self.tide.run("stateful", workflow, run_id=run_id)
        detail = self.tide.runs.get(run_id)
        self.assertEqual(detail["state"]["value"], {"phase": "research", "progress": 0.9})
        self.assertEqual(detail["state"]["version"], 3, "set, patch and save each make a version")
        self.assertEqual([v["label"] for v in detail["stateVersions"]], [None, None, "after-research"])
        llm, tool = detail["usage"]
        self.assertEqual((llm["kind"], llm["model"], llm["totalTokens"], llm["costUsd"]), ("llm", "gpt-4.1-mini", 150, 0.002))
        self.assertEqual(llm["stepId"], detail["steps"][0]["id"], "a record made inside a step is tied to it")
        self.assertEqual((tool["kind"], tool["quantity"], tool["stepId"]), ("tool", 3, None))
        self.assertEqual(detail["run"]["usageTotals"]["totalTokens"], 150)

    def test_usage_recorded_inside_a_step_is_not_counted_again_when_the_step_replays(self):
        run_id = new_run_id("usage")

        def workflow(run, input):
            run.step("llm", lambda: run.usage_record(kind="llm", input_tokens=10, output_tokens=5) and "answer")
            if run.attempt == 1:
                raise Crash()
            return "done"

        with self.assertRaises(Crash):
            self.tide.run("usage", workflow, run_id=run_id)
        self.tide.run("usage", workflow, run_id=run_id)
        detail = self.tide.runs.get(run_id)
        self.assertEqual(len(detail["usage"]), 1)
        self.assertEqual(detail["run"]["usageTotals"]["totalTokens"], 15)

    def test_saving_state_before_any_is_refused_and_nan_is_never_sent(self):
        def workflow(run, input):
            with self.assertRaises(StateNotFoundError):
                run.state_save("too-early")
            with self.assertRaises(UnserializableError):
                run.state_set({"score": float("nan")})
            return run.snapshot("draft", {"text": "v1"}, target={"type": "doc", "id": "d1"})["stream"]

        self.assertEqual(self.tide.run("snap", workflow, run_id=new_run_id("snap")), "doc:d1")


if __name__ == "__main__":
    unittest.main()
