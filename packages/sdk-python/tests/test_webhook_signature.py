import hashlib
import hmac
import json
import unittest

import harness  # noqa: F401
from tidebase import Tidebase, parse_invocation, sign_webhook_body, verify_webhook_signature

BODY = json.dumps({"type": "run.resume", "runId": "run_1", "workflowName": "generate-report", "reason": "failed", "attempt": 1}).encode()


class WebhookSignatureTest(unittest.TestCase):
    def test_the_header_is_sha256_hex_hmac_of_the_exact_body(self):
        expected = "sha256=" + hmac.new(b"s3cret", BODY, hashlib.sha256).hexdigest()
        self.assertEqual(sign_webhook_body(BODY, "s3cret"), expected)
        self.assertTrue(verify_webhook_signature(BODY, expected, "s3cret"))
        self.assertTrue(verify_webhook_signature(BODY.decode(), f"  {expected} ", "s3cret"))

    def test_a_tampered_body_a_wrong_secret_or_a_missing_header_is_rejected(self):
        header = sign_webhook_body(BODY, "s3cret")
        self.assertFalse(verify_webhook_signature(BODY.replace(b"run_1", b"run_2"), header, "s3cret"))
        self.assertFalse(verify_webhook_signature(BODY, header, "other"))
        self.assertFalse(verify_webhook_signature(BODY, None, "s3cret"))
        self.assertFalse(verify_webhook_signature(BODY, "", "s3cret"))
        self.assertFalse(verify_webhook_signature(BODY, header[:-1], "s3cret"))
        self.assertFalse(verify_webhook_signature(BODY, header.replace("sha256=", "sha1="), "s3cret"))
        # Re-serialised JSON is other bytes: only the raw body verifies.
        self.assertFalse(verify_webhook_signature(json.dumps(json.loads(BODY), indent=1), header, "s3cret"))

    def test_the_handler_refuses_unsigned_deliveries_and_ignores_other_event_types(self):
        tide = Tidebase(url="http://127.0.0.1:9", webhook_secret="s3cret")
        tide.workflow("generate-report", lambda run, input: None)
        self.assertEqual(tide.handle_webhook(BODY, "sha256=00")[0], 401)
        other = json.dumps({"type": "gate.created", "runId": "r"}).encode()
        self.assertEqual(tide.handle_webhook(other, sign_webhook_body(other, "s3cret")), (200, {"ignored": True}))
        unknown = BODY.replace(b"generate-report", b"nope")
        self.assertEqual(tide.handle_webhook(unknown, sign_webhook_body(unknown, "s3cret"))[0], 404)
        self.assertEqual(parse_invocation(b"not json"), None)


if __name__ == "__main__":
    unittest.main()
