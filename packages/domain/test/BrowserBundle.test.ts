import { builtinModules } from "node:module"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import * as esbuild from "esbuild"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const entryPoints = ["packages/domain/src/index.ts", "packages/api/src/index.ts"]

const nodeBuiltin = (path: string) =>
  path.startsWith("node:") || builtinModules.includes(path) || builtinModules.includes(path.split("/")[0]!)

describe("browser bundling", () => {
  it("domain and api bundle for the browser with no Node built-ins", async () => {
    // On platform "browser" esbuild cannot resolve a Node built-in and reports it as an error
    // ("Could not resolve \"node:crypto\""), so a clean build is the guarantee the Studio needs.
    const result = await esbuild
      .build({
        absWorkingDir: root,
        entryPoints,
        outdir: "out",
        platform: "browser",
        format: "esm",
        bundle: true,
        write: false,
        metafile: true,
        logLevel: "silent"
      })
      .catch((error: esbuild.BuildFailure) => error)

    const problems = "errors" in result ? result.errors.map((m) => `${m.location?.file ?? "?"}: ${m.text}`) : []
    expect(problems, "esbuild errors bundling for the browser").toEqual([])
    if (!("metafile" in result) || result.metafile === undefined) throw new Error("no metafile")

    // Belt and braces: nothing reached the bundle as an external Node built-in either.
    const builtins = Object.entries(result.metafile.inputs).flatMap(([file, input]) =>
      input.imports.filter((i) => nodeBuiltin(i.path)).map((i) => `${file} -> ${i.path}`)
    )
    expect(builtins).toEqual([])

    // And the build really covered the code this guards.
    const inputs = Object.keys(result.metafile.inputs)
    for (const file of [...entryPoints, "packages/domain/src/InputHash.ts", "packages/domain/src/Ids.ts"]) {
      expect(inputs).toContain(file)
    }
    expect(result.outputFiles).toHaveLength(2)
  }, 20_000)
})
