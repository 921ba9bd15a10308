import { Context } from "effect"
import type { AggregateKind } from "./Aggregate.js"
import type { Projection } from "./Projection.js"

/** A kind of stream with its inline projections, in the order an append applies them. */
export interface RegisteredKind<S = any, E = any> {
  readonly kind: AggregateKind<S, E>
  readonly projections: ReadonlyArray<Projection<S, E>>
}

export const registered = <S, E>(kind: AggregateKind<S, E>, projections: ReadonlyArray<Projection<S, E>>): RegisteredKind<S, E> => ({
  kind,
  projections
})

/** Every kind of stream the server appends to; features add theirs in the composition root. */
export class Aggregates extends Context.Tag("Tidebase/Aggregates")<Aggregates, ReadonlyArray<RegisteredKind>>() {}
