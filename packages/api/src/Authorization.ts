import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Unauthorized } from "./Errors.js"

/** `Authorization: Bearer <TIDEBASE_API_KEY>`; the server lets everything through when no key is set. */
export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("Tidebase/Authorization", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/** A browser's EventSource cannot set headers, so the event stream alone also takes the key as `?token=`. */
export class EventStreamAuthorization extends HttpApiMiddleware.Tag<EventStreamAuthorization>()(
  "Tidebase/EventStreamAuthorization",
  {
    failure: Unauthorized,
    security: { bearer: HttpApiSecurity.bearer, token: HttpApiSecurity.apiKey({ key: "token", in: "query" }) }
  }
) {}
