import { Effect } from "effect"
import type { Projection } from "../EventStore/Projection.js"
import { RunProjection } from "./RunProjection.js"
import { StepProjection } from "./StepProjection.js"

/** Every inline projection, in the order an append applies them. */
export class Projections extends Effect.Service<Projections>()("Tidebase/Projections", {
  effect: Effect.map(Effect.all([RunProjection, StepProjection]), (all): { readonly all: ReadonlyArray<Projection> } => ({ all })),
  dependencies: [RunProjection.Default, StepProjection.Default]
}) {}
