import type { State, StateVersion } from "@tidebase/api"
import { runStream } from "@tidebase/domain"
import type { StateImportance } from "@tidebase/domain"
import { Effect, Option, Schema } from "effect"
import { StateNotFoundError, UnserializableState } from "./Errors.js"
import type { LeaseLostError, RunCancelledError, TidebaseRequestError } from "./Errors.js"
import { findUnfaithfulJson } from "./JsonValue.js"
import { request } from "./Request.js"
import type { RunContext } from "./RunContext.js"
import type { StepScope } from "./StepScope.js"

/** What a state write may say about the version it makes. */
export interface StateVersionOptions {
  readonly reason?: string | null
  /** Default `normal` for set/patch, `milestone` for save and snapshots. */
  readonly importance?: StateImportance
  readonly metadata?: unknown
  readonly createdBy?: string | null
}

export interface StateWriteOptions extends StateVersionOptions {
  /** The stream written to; the run's own (`run:<runId>`) when absent. */
  readonly stream?: string
  readonly label?: string | null
}

export interface SaveStateOptions extends StateVersionOptions {
  readonly stream?: string
}

export interface SnapshotOptions extends StateVersionOptions {
  /** The snapshot goes to stream `type:id`; the run's own stream when absent. */
  readonly target?: { readonly type: string; readonly id: string }
}

export interface StateVersionsOptions {
  /** Only this stream's versions; every stream's when absent. */
  readonly stream?: string
  /** Only labeled versions (saves and snapshots). */
  readonly labeled?: boolean
}

export interface GetStateOptions {
  readonly stream?: string
}

export type StateWriteError = LeaseLostError | RunCancelledError | UnserializableState | TidebaseRequestError

/** A shallow merge's input: some of the state's keys (any keys when the state is untyped). */
export type StatePatch<A> = unknown extends A ? Readonly<Record<string, unknown>> : { readonly [K in keyof A]?: A[K] }

/** The state operations of one run, with the step they are made in (null outside any). */
export interface BoundState<A> {
  /** `PUT`: the value replaces the stream's current one, as a new version. */
  readonly set: (value: A, options?: StateWriteOptions) => Effect.Effect<State, StateWriteError>
  /** `PATCH`: the keys given replace the current value's, as a new version (a shallow merge). */
  readonly patch: (partial: StatePatch<A>, options?: StateWriteOptions) => Effect.Effect<State, StateWriteError>
  /** The stream's current value as the server has it (other writers' included), or none before its first write. */
  readonly get: (options?: GetStateOptions) => Effect.Effect<Option.Option<A>, TidebaseRequestError>
  /** Labels the stream's current value as a version of its own (importance default `milestone`). */
  readonly save: (label: string, options?: SaveStateOptions) => Effect.Effect<StateVersion, StateWriteError | StateNotFoundError>
  /** Versions by stream then version, each with its full value. */
  readonly versions: (options?: StateVersionsOptions) => Effect.Effect<ReadonlyArray<StateVersion>, TidebaseRequestError>
}

/** The JSON fields of a version, picked so that no other option (a stream, a schema) reaches the wire. */
const versionFields = (options: StateVersionOptions) => ({
  ...(options.reason === undefined ? {} : { reason: options.reason }),
  ...(options.importance === undefined ? {} : { importance: options.importance }),
  ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
  ...(options.createdBy === undefined ? {} : { createdBy: options.createdBy })
})

/** A worker's state write carries its run lease (a fenced-out worker is refused) and the step it was made in. */
const fence = (run: RunContext, scope: StepScope | null) => ({
  leaseOwner: run.leaseOwner,
  leaseEpoch: run.leaseEpoch,
  stepId: scope?.stepId ?? null
})

const checked = (run: RunContext, stream: string, value: unknown): Effect.Effect<unknown, UnserializableState> => {
  const found = findUnfaithfulJson(value)
  return found === undefined ? Effect.succeed(value) : Effect.fail(new UnserializableState({ runId: run.runId, stream, ...found }))
}

type Fields = Readonly<Record<string, Schema.Schema.All | Schema.PropertySignature.All>>

/**
 * A patch holds some keys of the state: with a Struct or Class schema each key is encoded by its
 * own field (so a Date in a patch is stored as the full value's encoding would store it); keys the
 * schema does not name, and every key under another kind of schema, go as they are.
 */
const encodePatch = (schema: Schema.Schema<any, any, never> | undefined, partial: Readonly<Record<string, unknown>>) => {
  const fields = (schema as { readonly fields?: unknown } | undefined)?.fields as Fields | undefined
  if (fields === undefined || typeof fields !== "object") return Effect.succeed(partial)
  return Effect.reduce(Object.entries(partial), {} as Record<string, unknown>, (encoded, [key, value]) =>
    Object.hasOwn(fields, key)
      ? Effect.map(
        Effect.orDie(Schema.encodeUnknown(Schema.Struct({ [key]: fields[key]! }) as unknown as Schema.Schema<any, any, never>)({ [key]: value })),
        (field) => Object.assign(encoded, field)
      )
      : Effect.succeed(Object.assign(encoded, { [key]: value })))
}

/**
 * The state operations for `run`, encoding and decoding the value with `schema` when given (a
 * value it rejects is a defect, as for a step's output). `scope` says which step a call is made
 * in, read at each call.
 */
export const bindState = <A>(
  run: RunContext,
  scope: Effect.Effect<StepScope | null>,
  schema?: Schema.Schema<A, any, never>
): BoundState<A> => {
  const { client, runId } = run
  const streamOf = (options: { readonly stream?: string } | undefined) => options?.stream ?? runStream(runId)
  const encode = (value: A) => schema === undefined ? Effect.succeed(value as unknown) : Effect.orDie(Schema.encode(schema)(value))
  const at = (step: StepScope | null) => ({ runId, ...(step === null ? {} : { step: step.name }) })

  const write = (mode: "put" | "patch", encoded: Effect.Effect<unknown>, options: StateWriteOptions = {}) =>
    Effect.gen(function*() {
      const step = yield* scope
      const value = yield* checked(run, streamOf(options), yield* encoded)
      const payload = {
        value,
        ...(options.stream === undefined ? {} : { stream: options.stream }),
        ...(options.label === undefined ? {} : { label: options.label }),
        ...versionFields(options),
        ...fence(run, step)
      }
      const call = mode === "put"
        ? client.state.put({ path: { runId }, payload })
        : client.state.patch({ path: { runId }, payload: payload as typeof payload & { value: Record<string, unknown> } })
      const { state } = yield* request(call, at(step)).pipe(Effect.catchTag("RunNotFoundError", Effect.die))
      return state
    })

  return {
    set: (value, options) => write("put", encode(value), options),
    patch: (partial, options) => write("patch", encodePatch(schema, partial as Readonly<Record<string, unknown>>), options),
    get: (options) =>
      Effect.gen(function*() {
        const { state } = yield* request(client.state.get({ path: { runId }, urlParams: { stream: streamOf(options) } }), { runId })
          .pipe(Effect.catchTag("RunNotFoundError", Effect.die))
        if (state === null) return Option.none()
        if (schema === undefined) return Option.some(state.value as A)
        return Option.some(yield* Effect.orDie(Schema.decodeUnknown(schema)(state.value)))
      }),
    save: (label, options = {}) =>
      Effect.gen(function*() {
        const step = yield* scope
        const payload = {
          label,
          ...(options.stream === undefined ? {} : { stream: options.stream }),
          ...versionFields(options),
          ...fence(run, step)
        }
        const { stateVersion } = yield* request(client.state.save({ path: { runId }, payload }), at(step)).pipe(
          Effect.catchTag("RunNotFoundError", Effect.die),
          Effect.catchTag("StateNotFound", () => Effect.fail(new StateNotFoundError({ runId, stream: streamOf(options) })))
        )
        return stateVersion
      }),
    versions: (options = {}) =>
      request(client.state.versions({ path: { runId }, urlParams: options }), { runId }).pipe(
        Effect.catchTag("RunNotFoundError", Effect.die),
        Effect.map(({ stateVersions }) => stateVersions)
      )
  }
}

/** A labeled version holding `state`, in the target's stream (`type:id`, the run's own by default). */
export const createSnapshot = (
  run: RunContext,
  scope: Effect.Effect<StepScope | null>,
  label: string,
  state: unknown,
  options: SnapshotOptions = {}
): Effect.Effect<StateVersion, StateWriteError> =>
  Effect.gen(function*() {
    const step = yield* scope
    const stream = options.target === undefined ? runStream(run.runId) : `${options.target.type}:${options.target.id}`
    const payload = {
      label,
      state: yield* checked(run, stream, state),
      ...(options.target === undefined ? {} : { target: options.target }),
      ...versionFields(options),
      ...fence(run, step)
    }
    const { snapshot } = yield* request(run.client.state.createSnapshot({ path: { runId: run.runId }, payload }), {
      runId: run.runId,
      ...(step === null ? {} : { step: step.name })
    }).pipe(Effect.catchTag("RunNotFoundError", Effect.die))
    return snapshot
  })
