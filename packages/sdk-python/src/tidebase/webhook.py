"""Signed webhooks: `x-tidebase-signature: sha256=<hex HMAC-SHA256 of the exact body bytes>`."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple, Union

SIGNATURE_HEADER = "x-tidebase-signature"
INVOCATIONS = ("run.resume", "run.invoke")

Body = Union[bytes, bytearray, memoryview, str]


def _bytes(body: Body) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def sign_webhook_body(raw_body: Body, secret: str) -> str:
    """The header value the server sends for `raw_body` signed with `secret`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), _bytes(raw_body), hashlib.sha256).hexdigest()


def verify_webhook_signature(raw_body: Body, header: Optional[str], secret: str) -> bool:
    """True only for the exact bytes that were signed with `secret` (compared in constant time).

    Verify the raw body: a parsed and re-serialised JSON object is not the same bytes.
    """
    if not header or not secret:
        return False
    expected = sign_webhook_body(raw_body, secret).encode("ascii")
    return hmac.compare_digest(header.strip().encode("utf-8", "replace"), expected)


@dataclass
class Invocation:
    """A recovery (`run.resume`) or push-queue (`run.invoke`) delivery."""

    type: str
    run_id: str
    workflow_name: str
    #: A push delivery's claim: the run is leased to this owner, so it is taken under that owner at once.
    lease_owner: Optional[str] = None


def parse_invocation(raw_body: Body) -> Union[Invocation, str, None]:
    """The delivery, "ignored" for another event type, or None for a body that is not one."""
    try:
        payload = json.loads(_bytes(raw_body))
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    if payload.get("type") not in INVOCATIONS:
        return "ignored"
    run_id, workflow = payload.get("runId"), payload.get("workflowName")
    if not isinstance(run_id, str) or not isinstance(workflow, str):
        return None
    owner = payload.get("leaseOwner")
    return Invocation(payload["type"], run_id, workflow, owner if isinstance(owner, str) else None)


def check_delivery(raw_body: Body, signature: Optional[str], secret: Optional[str]) -> Tuple[int, Dict[str, Any], Optional[Invocation]]:
    """The answer to a delivery before anything runs: (status, body, the invocation to run when accepted)."""
    if secret and not verify_webhook_signature(raw_body, signature, secret):
        return 401, {"error": "invalid signature"}, None
    invocation = parse_invocation(raw_body)
    if invocation is None:
        return 400, {"error": "expected a JSON body with type, runId and workflowName"}, None
    if invocation == "ignored":
        return 200, {"ignored": True}, None
    assert isinstance(invocation, Invocation)
    return 202, {"accepted": True, "runId": invocation.run_id}, invocation
