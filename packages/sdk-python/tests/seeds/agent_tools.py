# The tools snippet of the "How to checkpoint OpenAI Agents SDK runs" doc, as written.
def make_tools(run):
    @function_tool
    async def create_ticket(title: str, body: str) -> str:
        return await run.step(
            f"create-ticket:{title}",
            lambda: ticket_api.create(title, body),
            input={"title": title, "body": body},
            side_effects=["ticketing-api"],
            idempotency_key=f"ticket-{run.run_id}-{title}",
        )
    return [create_ticket]
