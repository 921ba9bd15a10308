"""The app's workflow (`from workflows import generate_report` in app.py and worker.py).

Stand-ins for the expensive parts (an LLM planning and writing) keep the example runnable
offline; each is one checkpointed step, so a resumed run never runs a finished one again.
"""


def plan(topic):
    return [f"{topic}: intro", f"{topic}: findings", f"{topic}: outlook"]


def write(outline):
    return "\n".join(f"## {section}" for section in outline)


def generate_report(run, input):
    outline = run.step("outline", lambda: plan(input["topic"]), input={"topic": input["topic"]})
    run.state_set({"phase": "writing", "sections": len(outline)})
    report = run.step("write", lambda: write(outline), input={"outline": outline})
    run.state_patch({"phase": "done"})
    return {"report": report}
