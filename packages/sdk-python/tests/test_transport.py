import json
import os
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

from harness import free_port
from tidebase import Tidebase, TidebaseRequestError


class FakeServer:
    """A local HTTP server answering from a list of (status, body) and recording each request's headers."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.seen = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.seen.append(dict(self.headers))
                status, body = outer.answers.pop(0) if len(outer.answers) > 1 else outer.answers[0]
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class TransportTest(unittest.TestCase):
    def serve(self, answers):
        fake = FakeServer(answers)
        self.addCleanup(fake.close)
        return fake

    def test_the_api_key_goes_as_a_bearer_token_and_the_url_comes_from_the_environment(self):
        fake = self.serve([(200, {"run": {"id": "r"}})])
        with mock.patch.dict(os.environ, {"TIDEBASE_URL": fake.url, "TIDEBASE_API_KEY": "k-123"}):
            tide = Tidebase()
            self.assertEqual(tide.runs.get("r"), {"run": {"id": "r"}})
            tide.close()
        self.assertEqual(fake.seen[0]["authorization"], "Bearer k-123")
        self.assertTrue(fake.seen[0]["user-agent"].startswith("tidebase-python/"))

    def test_a_502_503_or_504_is_retried_until_the_server_answers(self):
        fake = self.serve([(503, "restarting"), (502, "bad gateway"), (200, {"ok": True})])
        tide = Tidebase(url=fake.url)
        self.assertEqual(tide.health(), {"ok": True})
        self.assertEqual(len(fake.seen), 3)
        tide.close()

    def test_an_unreachable_server_is_a_request_error_naming_where_it_looked(self):
        url = f"http://127.0.0.1:{free_port()}"
        with self.assertRaises(TidebaseRequestError) as raised:
            Tidebase(url=url, retry_transport_for_s=0).runs.get("r")
        self.assertIn(url, str(raised.exception))
        self.assertIsNone(raised.exception.status)

    def test_an_answer_that_is_not_tidebase_json_says_so(self):
        fake = self.serve([(200, "<html>hello</html>")])
        tide = Tidebase(url=fake.url)
        with self.assertRaises(TidebaseRequestError) as raised:
            tide.health()
        self.assertIn("is this a Tidebase server", str(raised.exception))
        tide.close()

    def test_a_401_names_the_api_key_setting(self):
        fake = self.serve([(401, {"error": "unauthorized", "code": "unauthorized"})])
        tide = Tidebase(url=fake.url)
        with self.assertRaises(TidebaseRequestError) as raised:
            tide.runs.list()
        self.assertEqual((raised.exception.status, raised.exception.code), (401, "unauthorized"))
        self.assertIn("TIDEBASE_API_KEY", str(raised.exception))
        tide.close()


if __name__ == "__main__":
    unittest.main()
