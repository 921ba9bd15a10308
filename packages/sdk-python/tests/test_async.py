import asyncio
import time
import unittest
import uuid

from harness import http, new_run_id, server_url
from tidebase import StepTimeoutError
from tidebase.aio import AsyncTidebase


class Crash(Exception):
    pass


class AsyncClientTest(unittest.TestCase):
    def run_async(self, coroutine_fn):
        async def main():
            tide = AsyncTidebase(url=server_url())
            try:
                return await coroutine_fn(tide)
            finally:
                await tide.close()

        return asyncio.run(main())

    def test_async_steps_await_coroutines_run_plain_functions_and_never_re_run_once_checkpointed(self):
        run_id = new_run_id("aio")
        calls = []

        async def fetch(n):
            calls.append(n)
            await asyncio.sleep(0.01)
            return {"n": n}

        async def workflow(run, input):
            a = await run.step("a", lambda: fetch(1), input={"n": 1})
            b = await run.step("b", lambda: a["n"] + 1)  # a plain function is called, not awaited
            both = await asyncio.gather(run.step("c1", lambda: fetch(3)), run.step("c2", lambda: fetch(4)))
            if run.attempt == 1:
                raise Crash()
            return [a["n"], b, both[0]["n"], both[1]["n"]]

        async def scenario(tide):
            with self.assertRaises(Crash):
                await tide.run("aio", workflow, run_id=run_id)
            return await tide.run("aio", workflow, run_id=run_id)

        self.assertEqual(self.run_async(scenario), [1, 2, 3, 4])
        self.assertEqual(sorted(calls), [1, 3, 4])

    def test_an_async_step_past_its_timeout_fails_with_step_timeout(self):
        async def workflow(run, input):
            return await run.step("slow", lambda: asyncio.sleep(5), timeout_s=0.2)

        async def scenario(tide):
            started = time.monotonic()
            with self.assertRaises(StepTimeoutError):
                await tide.run("timeout", workflow, run_id=new_run_id("timeout"))
            return time.monotonic() - started

        self.assertLess(self.run_async(scenario), 3)

    def test_a_cancelled_task_gives_its_lease_back_so_a_rerun_resumes_at_once(self):
        run_id = new_run_id("aio-cancel")

        async def workflow(run, input):
            await run.step("first", lambda: "done")
            await asyncio.sleep(30)

        async def scenario(tide):
            task = asyncio.create_task(tide.run("aio-cancel", workflow, run_id=run_id))
            await asyncio.sleep(0.5)
            task.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await task
            started = time.monotonic()
            result = await tide.run("aio-cancel", lambda run, input: run.step("first", lambda: "again"), run_id=run_id)
            return result, time.monotonic() - started

        result, took = self.run_async(scenario)
        self.assertEqual(result, "done")
        self.assertLess(took, 5, "the lease was released, not waited out")

    def test_an_async_gate_is_decided_over_http_while_the_loop_keeps_running(self):
        run_id = new_run_id("aio-gate")

        async def workflow(run, input):
            decision = await run.gate("approve", "Ship?", data={"v": 1})
            return decision.decision

        async def scenario(tide):
            await tide.runs.create("aio-gate", run_id=run_id)
            task = asyncio.create_task(tide.run("aio-gate", workflow, run_id=run_id))
            while True:
                gates = (await tide.runs.get(run_id))["gates"]
                if gates:
                    break
                await asyncio.sleep(0.05)
            await asyncio.to_thread(http, "POST", f"/runs/{run_id}/gates/{gates[0]['id']}/resolve", {"token": gates[0]["resolveToken"], "decision": "approved"})
            return await asyncio.wait_for(task, 20)

        self.assertEqual(self.run_async(scenario), "approved")

    def test_the_async_worker_claims_and_completes_runs_and_its_children_run_concurrently(self):
        queue = f"py-aio-{uuid.uuid4().hex[:10]}"

        async def child(run, input):
            await asyncio.sleep(1.0)
            return input["i"] * 10

        async def parent(run, input):
            return sum(await run.fanout([{"name": f"c{i}", "workflow_name": "aio-child", "input": {"i": i}} for i in range(4)]))

        async def scenario(tide):
            tide.workflow("aio-child", child)
            tide.workflow("aio-parent", parent)
            run_id = (await tide.enqueue("aio-parent", queue=queue))["run"]["id"]
            stop = asyncio.Event()
            worker = asyncio.create_task(tide.work(queues=[queue], stop_event=stop, wait_ms=2_000))
            started = time.monotonic()
            while (await tide.runs.get(run_id))["run"]["status"] != "completed":
                self.assertLess(time.monotonic() - started, 30)
                await asyncio.sleep(0.05)
            took = time.monotonic() - started
            stop.set()
            await asyncio.wait_for(worker, 10)
            return (await tide.runs.get(run_id))["run"]["result"], took

        result, took = self.run_async(scenario)
        self.assertEqual(result, 60)
        self.assertLess(took, 3.5, "four 1 s children ran at once, not one after another (4 s)")


if __name__ == "__main__":
    unittest.main()
