import type { Event } from "@tidebase/api"
import { currentType } from "@tidebase/domain"
import type { StoredEvent } from "../EventStore/EventStore.js"

/** A stored run event as the wire shows it; a renamed type reads as its current name. */
export const toWireEvent = (e: StoredEvent): Event => ({
  id: String(e.position),
  runId: e.streamId,
  seq: e.seq,
  position: e.position,
  type: currentType(e.type),
  payload: e.payload,
  createdAt: e.createdAt
})
