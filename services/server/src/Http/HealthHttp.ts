import { HttpApiBuilder } from "@effect/platform"
import { TidebaseApi } from "@tidebase/api"
import { Effect } from "effect"

export const HealthHttp = HttpApiBuilder.group(TidebaseApi, "health", (handlers) =>
  handlers.handle("health", () => Effect.succeed({ ok: true as const }))
)
