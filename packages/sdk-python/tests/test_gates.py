import threading
import time
import unittest

from harness import http, new_run_id, server_url, wait_until
from tidebase import GateResolveRefusedError, RunCancelledError, RunNotFoundError, Tidebase


class GatesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tide = Tidebase(url=server_url())

    @classmethod
    def tearDownClass(cls):
        cls.tide.close()

    def pending_gate(self, run_id):
        def find():
            try:
                gates = self.tide.runs.get(run_id)["gates"]
            except RunNotFoundError:
                return None
            return gates[0] if gates and gates[0]["status"] == "pending" else None

        return wait_until(find, 20, "a pending gate")

    def in_thread(self, fn):
        box = {}

        def target():
            try:
                box["value"] = fn()
            except BaseException as error:  # noqa: B902
                box["error"] = error

        thread = threading.Thread(target=target)
        thread.start()
        return thread, box

    def test_a_gate_resolved_over_http_returns_its_decision_to_the_waiting_run(self):
        run_id = new_run_id("gate")

        def workflow(run, input):
            draft = run.step("draft", lambda: "Dear customer, ...")
            decision = run.gate("approve-send", "Send this?", data={"draft": draft})
            return {"decision": decision.decision, "actor": decision.actor, "payload": decision.payload}

        thread, box = self.in_thread(lambda: self.tide.run("gated", workflow, run_id=run_id))
        gate = self.pending_gate(run_id)
        self.assertEqual((gate["name"], gate["prompt"], gate["data"]), ("approve-send", "Send this?", {"draft": "Dear customer, ..."}))
        time.sleep(0.3)  # the run is waiting on its event stream by now
        resolved_at = time.monotonic()
        http("POST", f"/runs/{run_id}/gates/{gate['id']}/resolve", {
            "token": gate["resolveToken"], "decision": "approved", "actor": "alice", "payload": {"note": "ship it"},
        })
        thread.join(20)
        self.assertNotIn("error", box)
        self.assertLess(time.monotonic() - resolved_at, 5, "the decision wakes the run without polling delay")
        self.assertEqual(box["value"], {"decision": "approved", "actor": "alice", "payload": {"note": "ship it"}})
        self.assertEqual(self.tide.runs.get(run_id)["run"]["status"], "completed")

    def test_a_resumed_run_reaching_a_decided_gate_gets_its_decision_at_once_and_a_gate_decides_once(self):
        run_id = new_run_id("gate-resume")

        class Stop(Exception):
            pass

        def opens_then_stops(run, input):
            state = run.open_gate("approve", "Go?")
            self.assertEqual(state.status, "pending")
            raise Stop(state.gate)

        with self.assertRaises(Stop) as stopped:
            self.tide.run("gated2", opens_then_stops, run_id=run_id)
        gate = stopped.exception.args[0]
        self.tide.gates.resolve(run_id, gate["id"], token=gate["resolveToken"], decision="rejected", actor="bob", payload={"why": "no"})
        with self.assertRaises(GateResolveRefusedError) as refused:
            self.tide.gates.resolve(run_id, gate["id"], token=gate["resolveToken"], decision="approved", actor="eve")
        self.assertEqual((refused.exception.status, refused.exception.code), (409, "gate_resolved"))

        started = time.monotonic()
        decision = self.tide.run("gated2", lambda run, input: run.gate("approve", "Go?"), run_id=run_id)
        self.assertLess(time.monotonic() - started, 3)
        self.assertEqual((decision.decision, decision.actor, decision.payload), ("rejected", "bob", {"why": "no"}))

    def test_cancelling_a_run_stops_it_at_its_next_boundary(self):
        run_id = new_run_id("cancel")
        reached = []

        def workflow(run, input):
            run.step("first", lambda: 1)
            run.gate("wait-here", "Hold on")
            reached.append("after-gate")

        thread, box = self.in_thread(lambda: self.tide.run("cancellable", workflow, run_id=run_id))
        self.pending_gate(run_id)
        cancelled = self.tide.runs.cancel(run_id, reason="user asked", actor="carol")
        self.assertEqual(cancelled["status"], "cancelled")
        thread.join(20)
        self.assertIsInstance(box.get("error"), RunCancelledError)
        self.assertEqual(reached, [])
        detail = self.tide.runs.get(run_id)
        self.assertEqual((detail["run"]["status"], detail["run"]["cancelReason"]), ("cancelled", "user asked"))
        self.assertEqual(detail["gates"][0]["status"], "canceled")


if __name__ == "__main__":
    unittest.main()
