export * from "./Api.js"
export * from "./Errors.js"
export * from "./Models.js"
export * as Payloads from "./Payloads.js"
