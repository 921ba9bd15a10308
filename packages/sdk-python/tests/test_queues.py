import threading
import time
import unittest
import uuid

from harness import new_run_id, server_url, wait_until
from tidebase import Tidebase


class QueuesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tide = Tidebase(url=server_url())

    @classmethod
    def tearDownClass(cls):
        cls.tide.close()

    def queue(self):
        return f"py-{uuid.uuid4().hex[:12]}"

    def test_enqueue_with_the_same_dedupe_key_twice_makes_one_run(self):
        queue = self.queue()
        first = self.tide.enqueue("generate-report", input={"topic": "tides"}, dedupe_key="report-tides", queue=queue)
        second = self.tide.enqueue("generate-report", input={"topic": "tides"}, dedupe_key="report-tides", queue=queue)
        self.assertEqual(first["run"]["id"], second["run"]["id"])
        self.assertEqual((first["deduplicated"], second["deduplicated"]), (False, True))
        self.assertEqual(first["run"]["status"], "queued")
        self.assertEqual(self.tide.runs.get(first["run"]["id"])["run"]["dedupeKey"], "report-tides")

    def test_enqueue_options_reach_the_run(self):
        queue = self.queue()
        enqueued = self.tide.enqueue("w", input={"a": 1}, queue=queue, delay_ms=60_000, priority=5, max_attempts=2, run_id=new_run_id("q"))
        run = self.tide.runs.get(enqueued["run"]["id"])["run"]
        self.assertEqual((run["queue"], run["priority"], run["maxAttempts"], run["input"]), (queue, 5, 2, {"a": 1}))
        self.assertIsNotNone(run["runAt"])

    def test_a_worker_claims_and_completes_enqueued_runs_then_stops_on_its_event(self):
        queue = self.queue()
        tide = Tidebase(url=server_url())
        ran = []

        def generate_report(run, input):
            outline = run.step("outline", lambda: ran.append(input["topic"]) or ["intro", "body"])
            run.state_set({"phase": "written"})
            return {"topic": input["topic"], "sections": len(outline)}

        tide.workflow("generate-report", generate_report)
        ids = [tide.enqueue("generate-report", input={"topic": t}, queue=queue)["run"]["id"] for t in ("a", "b", "c")]
        stop = threading.Event()
        worker = threading.Thread(target=tide.work, kwargs={"queues": [queue], "concurrency": 2, "stop_event": stop, "wait_ms": 5_000})
        worker.start()
        try:
            for run_id in ids:
                wait_until(lambda: self.tide.runs.get(run_id)["run"]["status"] == "completed", 30, f"run {run_id} completed")
        finally:
            stop.set()
        started = time.monotonic()
        worker.join(15)
        self.assertFalse(worker.is_alive(), "work() returned once its stop event was set")
        self.assertLess(time.monotonic() - started, 5, "a long-polling claim is cut short by stop")
        self.assertEqual(sorted(ran), ["a", "b", "c"])
        detail = self.tide.runs.get(ids[0])
        self.assertEqual(detail["run"]["result"], {"topic": "a", "sections": 2})
        self.assertEqual(detail["state"]["value"], {"phase": "written"})
        self.assertIn("run.claimed", [e["type"] for e in detail["events"]])
        tide.close()

    def test_a_worker_fails_a_run_of_a_workflow_it_does_not_have_so_it_is_requeued(self):
        queue = self.queue()
        tide = Tidebase(url=server_url())
        errors = []
        run_id = tide.enqueue("not-registered-here", queue=queue, max_attempts=3)["run"]["id"]
        stop = threading.Event()
        worker = threading.Thread(
            target=tide.work, kwargs={"queues": [queue], "stop_event": stop, "wait_ms": 1_000, "on_error": lambda e, r: errors.append(r["id"])}
        )
        worker.start()
        try:
            wait_until(lambda: errors, 20, "the unknown workflow reported")
            run = wait_until(lambda: (lambda r: r if r["status"] == "queued" and r["attempt"] >= 1 else None)(self.tide.runs.get(run_id)["run"]), 20, "requeued")
        finally:
            stop.set()
            worker.join(15)
        self.assertEqual(errors[0], run_id)
        self.assertEqual(run["status"], "queued")
        tide.close()


if __name__ == "__main__":
    unittest.main()
