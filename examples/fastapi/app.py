# The FastAPI app of the "How to wire Tidebase into a FastAPI app" doc, as written.
from fastapi import BackgroundTasks, FastAPI, Header, HTTPException, Request
from tidebase import Tidebase, verify_webhook_signature
import json, os

from workflows import generate_report  # def generate_report(run, input): ...

tide = Tidebase()  # reads TIDEBASE_URL, default http://localhost:7373
app = FastAPI()

@app.post("/reports")
def create_report(body: dict):
    result = tide.enqueue(
        "generate-report",
        input={"topic": body["topic"]},
        dedupe_key=f"report-{body['topic']}",
    )
    return {"runId": result["run"]["id"]}

@app.get("/reports/{run_id}")
def report_status(run_id: str):
    detail = tide.runs.get(run_id)
    return {"status": detail["run"]["status"], "state": detail["state"]}

@app.post("/tidebase")
async def recovery_webhook(
    request: Request,
    background: BackgroundTasks,
    x_tidebase_signature: str | None = Header(default=None),
):
    raw = await request.body()  # exact bytes — verification needs them unparsed
    if not verify_webhook_signature(raw, x_tidebase_signature, os.environ["TIDEBASE_WEBHOOK_SECRET"]):
        raise HTTPException(status_code=401, detail="invalid signature")
    payload = json.loads(raw)
    background.add_task(
        tide.run, payload["workflowName"], generate_report, run_id=payload["runId"]
    )
    return {"accepted": True, "runId": payload["runId"]}
