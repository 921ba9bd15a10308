"""Sessions (`tide.runs.attach`): a run driven step by step from outside a workflow function, sync and async."""

import asyncio
import socket
import threading
import time
import unittest
import urllib.error
import urllib.parse

from harness import http, new_run_id, server_url, wait_until
from tidebase import LeaseLostError, RunCancelledError, Session, SessionClosedError, Tidebase
from tidebase.aio import AsyncSession, AsyncTidebase


class Proxy:
    """A TCP proxy to the server that can be cut (open connections dropped, new ones closed at once)."""

    def __init__(self, target_url):
        parsed = urllib.parse.urlparse(target_url)
        self.target = (parsed.hostname, parsed.port)
        self.up = True
        self.open = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def cut(self, down=True):
        self.up = not down
        if down:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.open = []

    def close(self):
        self.cut()
        self.listener.close()


class SessionTest(unittest.TestCase):
    def setUp(self):
        self.tide = Tidebase(url=server_url())
        self.addCleanup(self.tide.close)

    def test_a_completed_step_is_not_executed_again_when_the_run_is_re_attached_and_complete_ends_the_run_with_its_result(self):
        run_id = new_run_id("session")
        executions = []
        first = self.tide.runs.attach({"workflow_name": "chat", "run_id": run_id, "input": {"user": "ana"}})
        self.assertIsInstance(first, Session)
        self.assertEqual((first.run_id, first.input, first.open), (run_id, {"user": "ana"}, True))
        self.assertEqual(first.step("greet", lambda: executions.append(1) or "hello ana"), "hello ana")
        first.fail(RuntimeError("browser tab closed"))
        self.assertFalse(first.open)
        self.assertEqual(self.tide.runs.get(run_id)["run"]["status"], "failed")

        second = self.tide.runs.attach(run_id)
        self.assertEqual((second.workflow_name, second.input.user, second.attempt), ("chat", "ana", 2))
        self.assertEqual(second.step("greet", lambda: executions.append(1) or "hello again"), "hello ana")
        self.assertEqual(second.replayed, ["greet"])
        second.state.set({"turns": 1})
        second.usage.record(input_tokens=10, output_tokens=5, cost_usd=0.001)
        self.assertEqual(second.complete({"transcript": ["hello ana"]}), {"transcript": ["hello ana"]})

        self.assertEqual(len(executions), 1)
        detail = self.tide.runs.get(run_id)
        self.assertEqual((detail["run"]["status"], detail["run"]["result"]), ("completed", {"transcript": ["hello ana"]}))
        self.assertEqual(detail["state"]["value"], {"turns": 1})
        self.assertEqual([u["totalTokens"] for u in detail["usage"]], [15])

    def test_fail_records_the_error_on_the_run_and_keyword_arguments_name_the_run_too(self):
        session = self.tide.runs.attach(workflow_name="chat", input={"user": "bo"}, lease_ms=5_000)
        session.step("ask", lambda: "what now?")
        session.fail("the user left")
        run = self.tide.runs.get(session.run_id)["run"]
        self.assertEqual((run["workflowName"], run["status"], run["input"]), ("chat", "failed", {"user": "bo"}))
        self.assertIn("the user left", str(run["error"]))

    def test_writes_after_complete_raise_session_closed_and_the_servers_run_is_unchanged(self):
        session = self.tide.runs.attach({"workflow_name": "chat"})
        session.complete("done")
        self.assertFalse(session.open)
        for write in (
            lambda: session.step("late", lambda: 1),
            lambda: session.state.set({"late": True}),
            lambda: session.state_patch({"late": True}),
            lambda: session.usage.record(input_tokens=1),
            lambda: session.snapshot("late", {}),
            lambda: session.gates.begin("late", "?"),
            lambda: session.complete("again"),
            lambda: session.fail("again"),
        ):
            with self.assertRaises(SessionClosedError) as closed:
                write()
            self.assertEqual((closed.exception.run_id, closed.exception.reason), (session.run_id, "completed"))
        detail = self.tide.runs.get(session.run_id)
        self.assertEqual((detail["run"]["status"], detail["run"]["result"]), ("completed", "done"))
        self.assertEqual([len(detail["steps"]), len(detail["usage"]), len(detail["gates"])], [0, 0, 0])

        failed = self.tide.runs.attach({"workflow_name": "chat"})
        failed.fail(ValueError("no"))
        with self.assertRaises(SessionClosedError) as closed:
            failed.step("late", lambda: 1)
        self.assertEqual(closed.exception.reason, "failed")

    def test_attaching_to_a_completed_run_raises_session_closed_and_to_an_unknown_id_run_not_found(self):
        run_id = new_run_id("session-done")
        self.tide.runs.attach({"workflow_name": "chat", "run_id": run_id}).complete(1)
        with self.assertRaises(SessionClosedError) as closed:
            self.tide.runs.attach(run_id)
        self.assertEqual(closed.exception.reason, "completed")
        from tidebase import RunNotFoundError

        with self.assertRaises(RunNotFoundError):
            self.tide.runs.attach(new_run_id("nobody"))
        with self.assertRaises(ValueError):
            self.tide.runs.attach({"input": 1})

    def test_gates_begin_never_blocks_it_answers_pending_then_the_decision_once_a_person_resolved_it(self):
        session = self.tide.runs.attach({"workflow_name": "chat"})
        pending = session.gates.begin("send-reply", "Send this reply?", data={"draft": "hi"})
        self.assertEqual(pending.status, "pending")
        gate = pending.gate
        http("POST", f"/runs/{session.run_id}/gates/{gate['id']}/resolve", {"token": gate["resolveToken"], "decision": "approved", "actor": "ana"})
        decided = session.gates.begin("send-reply", "Send this reply?")
        self.assertEqual((decided.status, decided.decision.decision, decided.decision.actor), ("decided", "approved", "ana"))
        session.complete()

    def test_the_heartbeat_keeps_the_lease_and_a_cancel_closes_the_session_fencing_its_writes(self):
        run_id = new_run_id("session-beat")
        lost = []
        session = self.tide.runs.attach({"workflow_name": "chat", "run_id": run_id, "lease_ms": 300}, on_lease_lost=lost.append)
        time.sleep(0.9)  # well past the 300 ms lease: only the heartbeat keeps it
        with self.assertRaises(urllib.error.HTTPError) as held:
            http("POST", f"/runs/{run_id}/begin", {"workflowName": "chat"})
        self.assertEqual(held.exception.code, 409)
        self.assertEqual(session.step("still-mine", lambda: "ok"), "ok")

        self.tide.runs.cancel(run_id, reason="the user closed the chat")
        wait_until(lambda: lost, 5, "on_lease_lost")
        self.assertEqual(len(lost), 1)
        self.assertIsInstance(lost[0], RunCancelledError)
        self.assertFalse(session.open)
        with self.assertRaises(RunCancelledError):
            session.step("after-cancel", lambda: "no")
        with self.assertRaises(RunCancelledError):
            session.complete("no")
        detail = self.tide.runs.get(run_id)
        self.assertEqual(detail["run"]["status"], "cancelled")
        self.assertEqual([s["name"] for s in detail["steps"]], ["still-mine"])

    def test_when_another_worker_takes_the_run_over_on_lease_lost_fires_once_and_the_sessions_writes_are_fenced(self):
        run_id = new_run_id("session-takeover")
        proxy = Proxy(server_url())
        self.addCleanup(proxy.close)
        through = Tidebase(url=proxy.url, retry_transport_for_s=0.2, request_timeout_s=2)
        self.addCleanup(through.close)
        lost = []
        session = through.runs.attach({"workflow_name": "chat", "run_id": run_id, "lease_ms": 300}, on_lease_lost=lost.append)
        self.assertEqual(session.step("still-mine", lambda: "ok"), "ok")

        # The session cannot reach the server for longer than its lease: another worker takes the run over.
        proxy.cut()
        time.sleep(0.8)
        taken = http("POST", f"/runs/{run_id}/begin", {"workflowName": "chat"})
        self.assertEqual(taken["run"]["status"], "running")
        proxy.cut(False)
        wait_until(lambda: lost, 5, "on_lease_lost")
        self.assertEqual(len(lost), 1)
        self.assertIsInstance(lost[0], LeaseLostError)
        self.assertFalse(session.open)
        with self.assertRaises(LeaseLostError):
            session.step("after-takeover", lambda: "no")
        with self.assertRaises(LeaseLostError):
            session.complete("mine")
        detail = self.tide.runs.get(run_id)
        self.assertEqual(detail["run"]["status"], "running", "the new owner's run is untouched")
        self.assertEqual([s["name"] for s in detail["steps"]], ["still-mine"])

    def test_a_with_block_completes_the_session_or_fails_it_with_the_exception_that_left_it(self):
        with self.tide.runs.attach({"workflow_name": "chat"}) as ok:
            ok.step("one", lambda: 1)
        self.assertEqual(self.tide.runs.get(ok.run_id)["run"]["status"], "completed")
        with self.assertRaises(KeyError):
            with self.tide.runs.attach({"workflow_name": "chat"}) as broken:
                raise KeyError("lost the transcript")
        self.assertEqual(self.tide.runs.get(broken.run_id)["run"]["status"], "failed")

    def test_sessions_on_two_runs_from_two_threads_keep_their_own_checkpoints(self):
        results = {}

        def chat(user):
            with self.tide.runs.attach({"workflow_name": "chat", "input": {"user": user}}) as session:
                for turn in range(3):
                    session.step(f"turn-{turn}", lambda turn=turn: f"{user}:{turn}")
                results[user] = session.run_id

        threads = [threading.Thread(target=chat, args=(u,)) for u in ("ana", "bo")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for user, run_id in results.items():
            steps = self.tide.runs.get(run_id)["steps"]
            self.assertEqual([s["output"] for s in steps], [f"{user}:{n}" for n in range(3)])


class AsyncSessionTest(unittest.TestCase):
    def test_the_async_session_replays_a_completed_step_on_re_attach_and_refuses_writes_after_complete(self):
        run_id = new_run_id("async-session")
        executions = []

        async def main():
            tide = AsyncTidebase(url=server_url())
            try:
                first = await tide.runs.attach({"workflow_name": "chat", "run_id": run_id, "input": {"user": "ana"}})
                self.assertIsInstance(first, AsyncSession)

                async def greet():
                    executions.append(1)
                    await asyncio.sleep(0.01)
                    return "hello ana"

                self.assertEqual(await first.step("greet", greet), "hello ana")  # the coroutine is awaited
                await first.fail(RuntimeError("browser tab closed"))

                second = await tide.runs.attach(run_id)
                self.assertEqual((second.workflow_name, second.input, second.attempt), ("chat", {"user": "ana"}, 2))
                self.assertEqual(await second.step("greet", greet), "hello ana")
                await second.state.set({"turns": 1})
                await second.usage.record(input_tokens=3, output_tokens=4)
                pending = await second.gates.begin("send", "Send?")
                self.assertEqual(pending.status, "pending")
                self.assertEqual(await second.complete({"ok": True}), {"ok": True})
                for write in (lambda: second.step("late", greet), lambda: second.state.set({}), lambda: second.complete()):
                    with self.assertRaises(SessionClosedError):
                        await write()

                async with await tide.runs.attach(workflow_name="chat") as scoped:
                    await scoped.step("one", lambda: 1)
                with self.assertRaises(SessionClosedError):
                    await tide.runs.attach(scoped.run_id)
                return await tide.runs.get(run_id)
            finally:
                await tide.close()

        detail = asyncio.run(main())
        self.assertEqual(len(executions), 1)
        self.assertEqual((detail["run"]["status"], detail["run"]["result"]), ("completed", {"ok": True}))
        self.assertEqual(detail["state"]["value"], {"turns": 1})
        self.assertEqual([s["name"] for s in detail["steps"]], ["greet"])

    def test_a_cancel_closes_an_async_session_and_calls_on_lease_lost_on_the_loop(self):
        run_id = new_run_id("async-session-cancel")

        async def main():
            tide = AsyncTidebase(url=server_url())
            lost = []
            try:
                session = await tide.runs.attach({"workflow_name": "chat", "run_id": run_id, "lease_ms": 300}, on_lease_lost=lost.append)
                await session.step("one", lambda: 1)
                await tide.runs.cancel(run_id)
                deadline = time.monotonic() + 5
                while not lost and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                self.assertFalse(session.open)
                with self.assertRaises(RunCancelledError):
                    await session.step("two", lambda: 2)
                return lost
            finally:
                await tide.close()

        lost = asyncio.run(main())
        self.assertEqual(len(lost), 1)
        self.assertIsInstance(lost[0], RunCancelledError)


if __name__ == "__main__":
    unittest.main()
