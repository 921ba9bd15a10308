import { Layer } from "effect"
import { ProjectionRebuilder } from "./EventStore/Rebuild.js"
import { Aggregates, registered } from "./EventStore/Registry.js"
import { EdgeProjection } from "./Children/EdgeProjection.js"
import { DeliveryProjection } from "./Outbox/DeliveryProjection.js"
import { RecoveryProjection } from "./Outbox/RecoveryProjection.js"
import { QueueKind, QueueProjection } from "./Queues/QueueKind.js"
import { RunKind } from "./Runs/RunKind.js"
import { ScheduleKind, ScheduleProjection } from "./Schedules/ScheduleKind.js"
import { RunProjection } from "./Runs/RunProjection.js"
import { GateProjection } from "./Gates/GateProjection.js"
import { StateProjection } from "./State/StateProjection.js"
import { StepProjection } from "./Steps/StepProjection.js"
import { UsageProjection } from "./Usage/UsageProjection.js"

/** Every stream kind and its inline projections: a feature with a new aggregate adds it here. */
export const AggregatesLive = Layer.succeed(Aggregates, [
  registered(RunKind, [RunProjection, StepProjection, StateProjection, UsageProjection, GateProjection, EdgeProjection, RecoveryProjection, DeliveryProjection]),
  registered(QueueKind, [QueueProjection]),
  registered(ScheduleKind, [ScheduleProjection])
])

export const ProjectionRebuilderLive = ProjectionRebuilder.Default.pipe(Layer.provide(AggregatesLive))
