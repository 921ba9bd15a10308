"""A local stand-in for the OpenAI Agents SDK (`agents`), used only by this example's test.

The real `openai-agents` package (and a model to call) is not available where the tests run, so
this gives just the shape pipeline.py uses: `Agent(name, instructions)`, `Runner.run(agent, prompt)`
as a coroutine answering a result with `final_output` and `context_wrapper.usage`, and
`function_tool`. Install `openai-agents` and this directory is not on the path: the real one runs.

Test controls, from the environment:
- AGENTS_STANDIN_CALLS: a file each `Runner.run` appends its agent's name to (one line per call).
- AGENTS_STANDIN_RAISE_IN: an agent name whose run raises (the pipeline fails with an exception).
- AGENTS_STANDIN_DIE_IN: an agent name whose run kills the process on the spot (os._exit(3)).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any, Callable, List


@dataclass
class Agent:
    name: str
    instructions: str
    tools: List[Any] = field(default_factory=list)


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class RunContextWrapper:
    usage: Usage


@dataclass
class RunResult:
    input: str
    final_output: str
    context_wrapper: RunContextWrapper


class Runner:
    @staticmethod
    async def run(agent: Agent, prompt: str) -> RunResult:
        calls = os.environ.get("AGENTS_STANDIN_CALLS")
        if calls:
            with open(calls, "a") as log:
                log.write(agent.name + "\n")
        await asyncio.sleep(0.01)
        if os.environ.get("AGENTS_STANDIN_DIE_IN") == agent.name:
            os._exit(3)
        if os.environ.get("AGENTS_STANDIN_RAISE_IN") == agent.name:
            raise RuntimeError(f"{agent.name} crashed mid-run")
        output = f"[{agent.name}] {prompt.splitlines()[-1]}"
        return RunResult(prompt, output, RunContextWrapper(Usage(len(prompt), len(output))))


def function_tool(fn: Callable[..., Any]) -> Callable[..., Any]:
    return fn
