# The usage snippet of the "How to checkpoint OpenAI Agents SDK runs" doc, as written (run and usage are given).
await run.usage_record(
    kind="llm",
    provider="openai",
    model="gpt-4.1-mini",
    input_tokens=usage.input_tokens,
    output_tokens=usage.output_tokens,
)
