import type { LeaseRenewal } from "@tidebase/domain"
import { Effect } from "effect"
import type { PgPool } from "../Database/PgPool.js"

/** The run's last heartbeat renewal, if any (heartbeats renew leases without appending events). */
export const leaseRenewal = (pool: PgPool["Type"], runId: string) =>
  pool.query<LeaseRenewal>({
    name: "tidebase_lease_renewal",
    text: `select attempt, lease_expires_at as "leaseExpiresAt" from run_heartbeats where run_id = $1`,
    params: [runId]
  }).pipe(Effect.map((rows) => rows[0]), Effect.orDie)
