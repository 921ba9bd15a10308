# The pipeline of the "How to checkpoint OpenAI Agents SDK runs" doc, as written; only its last
# line (a top-level `await`, as in a notebook) is wrapped in main() so this runs as a script:
#   python pipeline.py <run_id> <topic>
import asyncio
import sys

from agents import Agent, Runner, function_tool
from tidebase.aio import AsyncTidebase

tide = AsyncTidebase()  # reads TIDEBASE_URL, default http://localhost:7373

researcher = Agent(
    name="researcher",
    instructions="Research the topic and return key findings.",
)
writer = Agent(
    name="writer",
    instructions="Turn findings into a short publishable post.",
)

async def pipeline(run, input):
    findings = await run.step(
        "research",
        lambda: Runner.run(researcher, f"Research: {input['topic']}"),
        input={"topic": input["topic"]},
    )

    draft = await run.step(
        "draft",
        lambda: Runner.run(writer, f"Write a post from:\n{findings.final_output}"),
        input={"findings": findings.final_output},
    )

    await run.state_set({"phase": "done"})
    return draft.final_output


async def main(run_id, topic):
    result = await tide.run("research-pipeline", pipeline, run_id=run_id, input={"topic": topic})
    print(result)
    return result


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
