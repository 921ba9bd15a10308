// Web Crypto, not node:crypto, so the domain bundles for the browser (Node 20+, browsers in secure contexts).
const hex32 = () => globalThis.crypto.randomUUID().replaceAll("-", "")

export const newRunId = () => `run_${hex32()}`
export const newStepId = () => `step_${hex32()}`
export const newLeaseOwner = () => `lease_${hex32()}`
export const newStateStreamId = () => `stream_${hex32()}`
export const newStateVersionId = () => `sv_${hex32()}`
export const newUsageId = () => `usage_${hex32()}`
export const newGateId = () => `gate_${hex32()}`
export const newEdgeId = () => `edge_${hex32()}`
export const newRecoveryId = () => `recovery_${hex32()}`
export const newDeliveryId = () => `delivery_${hex32()}`

/** Client-chosen ids share the wire with generated ones, so they stay URL- and log-safe. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/
