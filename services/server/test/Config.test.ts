import { expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { ServerConfig } from "@tidebase/server"

const runLeaseMs = (env: Record<string, string>) =>
  Effect.runSync(Effect.withConfigProvider(Effect.map(ServerConfig, (c) => c.runLeaseMs), ConfigProvider.fromMap(new Map(Object.entries(env)))))

it("the run lease is TIDEBASE_RUN_LEASE_MS, or the v0.6 name TIDEBASE_LEASE_MS, else 15 s (the SDKs heartbeat every third of it)", () => {
  expect(runLeaseMs({})).toBe(15_000)
  expect(runLeaseMs({ TIDEBASE_LEASE_MS: "1234" })).toBe(1234)
  expect(runLeaseMs({ TIDEBASE_LEASE_MS: "1234", TIDEBASE_RUN_LEASE_MS: "5678" })).toBe(5678)
})
