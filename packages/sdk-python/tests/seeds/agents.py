"""A stand-in for the OpenAI Agents SDK (`agents`), just enough of its shape for the doc snippets to run offline.

`Runner.run` is a coroutine answering a dataclass RunResult with `final_output` and
`context_wrapper.usage`, like the real one; it records each call in CALLS.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable, List

CALLS: List[str] = []
#: Agents whose next run raises (once): a crash mid-pipeline.
FAIL_ONCE: List[str] = []


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
    _last_agent: Agent


class Runner:
    @staticmethod
    async def run(agent: Agent, prompt: str) -> RunResult:
        CALLS.append(agent.name)
        await asyncio.sleep(0.01)
        if agent.name in FAIL_ONCE:
            FAIL_ONCE.remove(agent.name)
            raise RuntimeError(f"{agent.name} crashed mid-run")
        output = f"[{agent.name}] {prompt.splitlines()[-1]}"
        return RunResult(prompt, output, RunContextWrapper(Usage(len(prompt), len(output))), agent)


def function_tool(fn: Callable[..., Any]) -> Callable[..., Any]:
    return fn
