import threading
import unittest
from wsgiref.simple_server import WSGIRequestHandler, make_server

from harness import new_run_id, server_url, wait_until, webhook_secret
from tidebase import Tidebase, verify_webhook_signature


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class RecoveryWebhookTest(unittest.TestCase):
    def setUp(self):
        self.secret = webhook_secret()
        if not self.secret:
            self.skipTest("the server's webhook secret is unknown (TIDEBASE_TEST_WEBHOOK_SECRET)")
        self.tide = Tidebase(url=server_url(), webhook_secret=self.secret)
        self.deliveries = []
        app = self.tide.webhook()

        def recording(environ, start_response):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length)
            self.deliveries.append((raw, environ.get("HTTP_X_TIDEBASE_SIGNATURE")))
            environ["wsgi.input"] = __import__("io").BytesIO(raw)
            return app(environ, start_response)

        self.server = make_server("127.0.0.1", 0, recording, handler_class=Quiet)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/tidebase"

    def tearDown(self):
        if hasattr(self, "server"):
            self.server.shutdown()
            self.server.server_close()
            self.tide.close()

    def test_a_failed_run_is_resumed_by_the_servers_signed_run_resume_and_skips_its_completed_step(self):
        run_id = new_run_id("recover")
        executed = []

        def generate_report(run, input):
            outline = run.step("outline", lambda: executed.append("outline") or ["intro"])
            if len(executed) == 1:
                executed.append("crash")
                raise RuntimeError("crashed after the outline")
            return run.step("write", lambda: executed.append("write") or f"{outline[0]}: done")

        self.tide.workflow("recovering-report", generate_report)
        with self.assertRaises(RuntimeError):
            self.tide.run("recovering-report", run_id=run_id, recovery_webhook=self.url)

        detail = wait_until(lambda: (lambda d: d if d["run"]["status"] == "completed" else None)(self.tide.runs.get(run_id)), 30, "resumed")
        self.assertEqual(detail["run"]["result"], "intro: done")
        self.assertEqual(executed, ["outline", "crash", "write"])
        raw, signature = self.deliveries[0]
        self.assertTrue(verify_webhook_signature(raw, signature, self.secret))
        self.assertFalse(verify_webhook_signature(raw + b" ", signature, self.secret))
        self.assertIn(b'"type":"run.resume"', raw)

    def test_recover_sends_run_resume_now(self):
        run_id = new_run_id("recover-now")
        self.tide.runs.create("manual-recover", run_id=run_id, recovery_webhook=self.url)
        self.tide.workflow("manual-recover", lambda run, input: run.step("only", lambda: "ok"))
        attempt = self.tide.runs.recover(run_id, reason="operator")
        self.assertEqual(attempt["runId"], run_id)
        self.assertEqual(wait_until(lambda: self.tide.runs.get(run_id)["run"]["status"] == "completed", 30, "completed"), True)


if __name__ == "__main__":
    unittest.main()
