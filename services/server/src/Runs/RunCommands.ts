import * as Domain from "@tidebase/domain"
import { Clock, Effect, Either } from "effect"
import { PgPool } from "../Database/PgPool.js"
import { decided, RunCommandRunner } from "./RunCommandRunner.js"
import { RunLoader } from "./RunLoad.js"

type Input<C> = Omit<C, "now">

/** Run-level commands: each reads the whole run (it is the reply) and its lease as the database has it. */
export class RunCommands extends Effect.Service<RunCommands>()("Tidebase/RunCommands", {
  effect: Effect.gen(function*() {
    const { execute, existing } = yield* RunCommandRunner
    const loader = yield* RunLoader
    const pool = yield* PgPool
    const whole = { fullRun: true, fresh: true } as const

    const create = (cmd: Input<Domain.CreateRun>) =>
      execute(cmd.runId, whole, (state, now) => {
        const events = Domain.decideCreate(state ?? Domain.emptyAggregate, { ...cmd, now })
        return Either.right(decided(events, (after) => ({ run: after.run!, created: events.length > 0 })))
      })

    /**
     * With `create` (and the workflow named), a run that does not exist yet is created and begun
     * in one append; otherwise a missing run is a 404.
     */
    const begin = (cmd: Input<Domain.BeginRun>, create?: Omit<Input<Domain.CreateRun>, "runId" | "workflowName">) =>
      execute(cmd.runId, whole, (state, now) => {
        const made = create === undefined || cmd.workflowName === undefined || state?.run !== undefined
          ? []
          : Domain.decideCreate(Domain.emptyAggregate, { ...create, runId: cmd.runId, workflowName: cmd.workflowName, now })
        const before = made.length === 0 ? state : Domain.fold(made, Domain.emptyAggregate)
        if (before?.run === undefined) return Either.left(new Domain.RunNotFound({ runId: cmd.runId }))
        return Either.map(Domain.decideBegin(before, { ...cmd, now }), (events) =>
          decided([...made, ...events], (after) => ({
            run: after.run!,
            leaseOwner: events.length > 0 ? cmd.leaseOwner : null,
            seq: after.version,
            created: made.length > 0
          })))
      })

    /** Renews the lease only if `owner` still holds it at `attempt`; false when it has moved on. */
    const renewLease = (runId: string, owner: string, attempt: number, leaseExpiresAt: string) =>
      pool.query({
        name: "tidebase_renew_lease",
        text: `insert into run_heartbeats (run_id, attempt, lease_expires_at)
          select id, attempt, $4 from runs where id = $1 and lease_owner = $2 and attempt = $3 and status = 'running'
          on conflict (run_id) do update set attempt = excluded.attempt, lease_expires_at = excluded.lease_expires_at
          returning run_id`,
        params: [runId, owner, attempt, leaseExpiresAt]
      }).pipe(Effect.map((rows) => rows.length === 1), Effect.orDie)

    const heartbeat = (cmd: Input<Domain.Heartbeat>) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const run = (yield* loader.load(cmd.runId, whole))?.aggregate
        if (run?.run === undefined) return yield* new Domain.RunNotFound({ runId: cmd.runId })
        const leaseExpiresAt = yield* Domain.decideHeartbeat(run, { ...cmd, now })
        if (!(yield* renewLease(run.run.id, cmd.fence.leaseOwner, run.run.attempt, leaseExpiresAt))) {
          return yield* new Domain.LeaseLost({ run: run.run })
        }
        return { ...run.run, leaseExpiresAt }
      })

    const release = (cmd: Input<Domain.ReleaseRun>) =>
      existing(cmd.runId, whole, (state, now) =>
        Either.map(Domain.decideRelease(state, { ...cmd, now }), (events) =>
          decided(events, (after) => ({ run: after.run!, released: events.length > 0 }))))

    const complete = (cmd: Input<Domain.CompleteRun>) =>
      existing(cmd.runId, whole, (state, now) =>
        Either.map(Domain.decideComplete(state, { ...cmd, now }), (events) => decided(events, (after) => after.run!)))

    const fail = (cmd: Input<Domain.FailRun>) =>
      existing(cmd.runId, whole, (state, now) =>
        Either.map(Domain.decideFail(state, { ...cmd, now }), (events) => decided(events, (after) => after.run!)))

    const setBudget = (cmd: Input<Domain.SetBudget>) =>
      existing(cmd.runId, whole, (state, now) =>
        Either.map(Domain.decideSetBudget(state, { ...cmd, now }), (events) => decided(events, (after) => after.run!)))

    /** Decides on the run's pending gates too: the cancel resolves them in its own append. */
    const cancel = (cmd: Input<Domain.CancelRun>) =>
      existing(cmd.runId, { ...whole, pendingGates: true }, (state, now) =>
        Either.map(Domain.decideCancel(state, { ...cmd, now }), (events) => decided(events, (after) => after.run!)))

    const recover = (cmd: Input<Domain.RecoverRun>) =>
      existing(cmd.runId, {}, (state, now) =>
        Either.map(Domain.decideRecover(state, { ...cmd, now }), (events) =>
          decided(events, (after) => after.recoveries.get(cmd.newRecoveryId)!)))

    return { create, begin, heartbeat, release, complete, fail, setBudget, cancel, recover } as const
  }),
  dependencies: [RunCommandRunner.Default, RunLoader.Default]
}) {}
