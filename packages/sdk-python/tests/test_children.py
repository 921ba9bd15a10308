import threading
import unittest

from harness import new_run_id, server_url, wait_until
from tidebase import ChildRunFailedError, ChildSpec, Tidebase


class Crash(Exception):
    pass


class ChildrenTest(unittest.TestCase):
    def setUp(self):
        self.tide = Tidebase(url=server_url())

    def tearDown(self):
        self.tide.close()

    def test_a_child_of_a_registered_workflow_runs_here_and_answers_its_result(self):
        self.tide.workflow("summarize", lambda run, input: run.step("sum", lambda: f"summary of {input['doc']}"))
        run_id = new_run_id("parent")
        result = self.tide.run("parent", lambda run, input: run.child("sum-a", "summarize", {"doc": "a"}), run_id=run_id)
        self.assertEqual(result, "summary of a")
        detail = self.tide.runs.get(run_id)
        self.assertEqual([(e["name"], c["status"]) for e, c in zip(detail["runEdges"], detail["childRuns"])], [("sum-a", "completed")])

    def test_fanout_makes_each_child_once_however_often_the_parent_is_resumed(self):
        executed = []
        self.tide.workflow("research", lambda run, input: run.step("look", lambda: executed.append(input["q"]) or input["q"].upper()))
        run_id = new_run_id("fan")

        def parent(run, input):
            results = run.fanout([
                ChildSpec("q1", "research", {"q": "tides"}),
                {"name": "q2", "workflow_name": "research", "input": {"q": "moon"}},
                ("q3", "research", {"q": "sun"}),
            ])
            if run.attempt == 1:
                raise Crash()
            return results

        with self.assertRaises(Crash):
            self.tide.run("fan", parent, run_id=run_id)
        self.assertEqual(self.tide.run("fan", parent, run_id=run_id), ["TIDES", "MOON", "SUN"])
        self.assertEqual(sorted(executed), ["moon", "sun", "tides"])
        self.assertEqual(len(self.tide.runs.get(run_id)["childRuns"]), 3)

    def test_a_parent_waits_for_a_child_another_worker_runs_and_sees_its_failure(self):
        run_id = new_run_id("join")
        box = {}

        def parent(run, input):
            try:
                run.child("remote", "elsewhere", {"x": 1})
            except ChildRunFailedError as error:
                return {"child": error.child_run_id, "status": error.child_status}

        self.tide.runs.create("join", run_id=run_id)
        thread = threading.Thread(target=lambda: box.setdefault("v", self.tide.run("join", parent, run_id=run_id)))
        thread.start()
        child_id = wait_until(lambda: (self.tide.runs.get(run_id)["childRuns"] or [{}])[0].get("id"), 20, "the child run")
        other = Tidebase(url=server_url())
        with self.assertRaises(Crash):
            other.run("elsewhere", lambda run, input: (_ for _ in ()).throw(Crash()), run_id=child_id)
        other.close()
        thread.join(20)
        self.assertEqual(box.get("v"), {"child": child_id, "status": "failed"})


if __name__ == "__main__":
    unittest.main()
