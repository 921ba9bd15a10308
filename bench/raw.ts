import pg from "pg"
import { measureThroughput } from "./harness.js"
import type { BenchContext, Figure, Section } from "./section.js"

export const rawFigures = {
  insert1: "raw.insert.1",
  insert20: "raw.insert.20",
  notify1: "raw.insertNotify.1",
  notify20: "raw.insertNotify.20",
  transaction1: "raw.transaction5.1"
} as const

const NOTIFY_CHANNEL = "bench_raw"
const value = JSON.stringify({ step: "bench", output: { ok: true } })

const plainInsert = "insert into bench_raw (v) values ($1)"
// One statement, so the only difference from `plainInsert` is the NOTIFY queued at commit.
const insertAndNotify = `
  with i as (insert into bench_raw (v) values ($1) returning id)
  select pg_notify('${NOTIFY_CHANNEL}', i.id::text) from i`

// Five round trips, one commit: the shape of a server command today (begin, load, append, project, commit).
const fiveRoundTrips = async (client: pg.Client) => {
  await client.query("begin")
  for (let i = 0; i < 3; i++) await client.query(plainInsert, [value])
  await client.query("commit")
}

const connect = async (url: string) => {
  const client = new pg.Client({ connectionString: url })
  // A dropped connection also fails the pending query; unhandled, the event would crash the bench.
  client.on("error", () => {})
  await client.connect()
  return client
}

/** `op` back-to-back on `clients` connections of their own. */
const commitRate = async (context: BenchContext, clients: number, op: (client: pg.Client) => Promise<unknown>) => {
  const connections: Array<pg.Client> = []
  try {
    return await measureThroughput(
      clients,
      async () => {
        const client = await connect(context.env.databaseUrl)
        connections.push(client)
        return client
      },
      async (client) => {
        await op(client)
      },
      context.measure
    )
  } finally {
    await Promise.all(connections.map((c) => c.end()))
  }
}

export const rawSection: Section = {
  name: "raw Postgres",
  run: async (context) => {
    const setup = await connect(context.env.databaseUrl)
    // The server keeps a LISTEN connection open; so does this, so NOTIFY has a reader to queue for.
    const listener = await connect(context.env.databaseUrl)
    try {
      await setup.query("create table if not exists bench_raw (id bigserial primary key, v jsonb not null)")
      await listener.query(`listen ${NOTIFY_CHANNEL}`)
      const figures: Array<Figure> = []
      const add = async (key: string, label: string, clients: number, op: (client: pg.Client) => Promise<unknown>) => {
        figures.push({ key, label, clients, throughput: await commitRate(context, clients, op) })
      }
      const statement = (text: string) => (client: pg.Client) => client.query(text, [value])
      await add(rawFigures.insert1, "raw INSERT commits", 1, statement(plainInsert))
      await add(rawFigures.insert20, "raw INSERT commits", 20, statement(plainInsert))
      await add(rawFigures.notify1, "raw INSERT + pg_notify commits", 1, statement(insertAndNotify))
      await add(rawFigures.notify20, "raw INSERT + pg_notify commits", 20, statement(insertAndNotify))
      await add(rawFigures.transaction1, "raw BEGIN, 3 INSERTs, COMMIT", 1, fiveRoundTrips)
      return { figures }
    } finally {
      await Promise.all([setup.end(), listener.end()])
    }
  },
  ratios: [
    { label: "INSERT+NOTIFY / INSERT, 1 client", numerator: rawFigures.notify1, denominator: rawFigures.insert1 },
    { label: "INSERT+NOTIFY / INSERT, 20 clients", numerator: rawFigures.notify20, denominator: rawFigures.insert20 },
    { label: "5-round-trip tx / INSERT, 1 client", numerator: rawFigures.transaction1, denominator: rawFigures.insert1 }
  ]
}
