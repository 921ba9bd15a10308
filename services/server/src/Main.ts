import { HttpServer } from "@effect/platform"
import { Config, Effect, Layer } from "effect"
import { ServerConfig } from "./Config.js"
import { DatabaseLive } from "./Database/Database.js"
import { ensureMigrated } from "./Database/Migrations.js"
import { HttpServerLive } from "./Server.js"

/** Database (embedded or `DATABASE_URL`), migrations, then the HTTP server: the whole process. */
export const MainLive = Layer.unwrapEffect(
  Effect.map(Config.unwrap(ServerConfig), (config) => {
    const Database = DatabaseLive(config)
    const Migrated = Layer.effectDiscard(ensureMigrated(config.autoMigrate))
    return HttpServerLive(config).pipe(
      Layer.tap((ctx) =>
        HttpServer.addressFormattedWith((address) =>
          Effect.sync(() => console.log(`Tidebase listening on ${address.replace("0.0.0.0", "localhost")}`))
        ).pipe(Effect.provide(ctx))
      ),
      Layer.provide(Layer.provideMerge(Migrated, Database))
    )
  })
)
