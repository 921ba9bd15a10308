"""The app's own workflow module the FastAPI snippet imports (`from workflows import generate_report`)."""

import os


def generate_report(run, input):
    crash_flag = os.environ.get("REPORT_CRASH_FLAG")
    outline = run.step("outline", lambda: [f"{input['topic']}: intro", f"{input['topic']}: findings"], input={"topic": input["topic"]})
    run.state_set({"phase": "outlined", "sections": len(outline)})
    if crash_flag and not os.path.exists(crash_flag):
        open(crash_flag, "w").close()  # crash once, after the first checkpoint
        raise RuntimeError("the writer crashed")
    report = run.step("write", lambda: "\n".join(outline))
    run.state_patch({"phase": "done"})
    return {"report": report}
