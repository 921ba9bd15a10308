import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const flake = fileURLToPath(new URL("../../../flake.nix", import.meta.url))
const hasNix = spawnSync("nix-instantiate", ["--version"]).status === 0

describe("the Nix dev shell", () => {
  // Nothing here can fetch nixpkgs, so what can be checked is that Nix reads the flake.
  it.skipIf(!hasNix)("flake.nix parses with nix-instantiate and declares a default dev shell with Node 20, Postgres and Python", () => {
    const parsed = spawnSync("nix-instantiate", ["--parse", flake], { encoding: "utf8" })
    expect(parsed.status, parsed.stderr).toBe(0)
    expect(parsed.stdout).toContain("devShells")
    for (const pkg of ["nodejs_20", "postgresql_16", "python3"]) expect(parsed.stdout).toContain(pkg)
  })
})
