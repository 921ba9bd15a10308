"""Approval gates: opened once per run and name, decided once, waited for on the run's live events."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

from .context import RunContext
from .jsonvalue import to_jsonable, with_attributes
from .ops import Http, Protocol, Sleep, WaitEvent
from .step_protocol import write
from .transport import quote

#: How long one wait on the event stream lasts before the gate is asked for again.
WAIT_S = 30.0
RECONNECT_PAUSE_S = 0.25


@dataclass
class GateDecision:
    """How a gate was decided: once, by `actor`, with the payload they gave."""

    decision: str
    actor: Optional[str]
    payload: Any
    gate: Dict[str, Any]


@dataclass
class GateState:
    """A gate as it stands without waiting: `pending`, or `decided` with its decision."""

    status: str
    gate: Dict[str, Any]
    decision: Optional[GateDecision] = None


def gate_body(ctx: RunContext, name: str, prompt: str, options: Dict[str, Any]) -> Dict[str, Any]:
    body: Dict[str, Any] = {"name": name, "prompt": prompt, **ctx.fence}
    wire = {"data": "data", "channels": "channels", "capability": "capability", "default_decision": "defaultDecision"}
    for key, value in options.items():
        if value is not None and key in wire:
            body[wire[key]] = to_jsonable(value, f"gate {key}")
    if options.get("timeout_s") is not None:
        body["timeoutMs"] = max(1, int(options["timeout_s"] * 1000))
    return body


def decided(gate: Dict[str, Any]) -> GateDecision:
    return GateDecision(gate.get("decision") or gate.get("status", ""), gate.get("actor"), with_attributes(gate.get("decisionPayload")), gate)


def open_gate(ctx: RunContext, name: str, prompt: str, options: Dict[str, Any]) -> Protocol[GateState]:
    answer = yield from write(ctx, None, Http("POST", f"/runs/{quote(ctx.run_id)}/gates/begin", gate_body(ctx, name, prompt, options)))
    gate = answer["gate"]
    if answer.get("action") == "return":
        return GateState("decided", gate, decided(gate))
    return GateState("pending", gate)


def await_gate(ctx: RunContext, name: str, prompt: str, options: Dict[str, Any]) -> Protocol[GateDecision]:
    """Opens (or finds) the gate and waits for its decision; a resumed run whose gate was decided gets it at once.

    Waiting follows the run's events from the seq the gate was answered at; when the stream drops,
    the run is cancelled or the gate's timeout passes, the gate is begun again, which answers the
    decision if there is one and refuses a cancelled run.
    """
    body = gate_body(ctx, name, prompt, options)
    while True:
        answer = yield from write(ctx, None, Http("POST", f"/runs/{quote(ctx.run_id)}/gates/begin", body))
        gate = answer["gate"]
        if answer.get("action") == "return":
            return decided(gate)
        gate_id = gate["id"]

        def match(event: Dict[str, Any]) -> bool:
            if event.get("type") == "run.cancelled":
                return True
            payload = event.get("payload") or {}
            return event.get("type") == "gate.resolved" and (payload.get("gate") or {}).get("id") == gate_id

        started = time.monotonic()
        event = yield WaitEvent(ctx.run_id, int(answer.get("seq") or 0), ["gate.resolved", "run.cancelled"], match, _wait_s(gate))
        if event is not None and event.get("type") == "gate.resolved":
            # The event carries everything but the token, which is the one begin gave.
            return decided({**event["payload"]["gate"], "resolveToken": gate.get("resolveToken")})
        if event is None and time.monotonic() - started < RECONNECT_PAUSE_S:
            yield Sleep(RECONNECT_PAUSE_S)


def _wait_s(gate: Dict[str, Any]) -> float:
    timeout_at = gate.get("timeoutAt")
    if not timeout_at:
        return WAIT_S
    try:
        at = datetime.datetime.fromisoformat(str(timeout_at).replace("Z", "+00:00"))
    except ValueError:
        return WAIT_S
    remaining = (at - datetime.datetime.now(datetime.timezone.utc)).total_seconds() + 0.01
    return max(0.05, min(WAIT_S, remaining))
