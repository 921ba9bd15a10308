{
  description = "Tidebase: a checkpoint layer for AI agent workflows (dev shell: Node 20, Postgres, Python 3)";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [
            pkgs.nodejs_20
            pkgs.postgresql_16
            (pkgs.python3.withPackages (ps: [ ps.fastapi ps.uvicorn ]))
          ];
          shellHook = ''
            echo "Tidebase: npm ci && npm start (server and embedded Postgres), npm test (the suite)"
            echo "DATABASE_URL=postgres://... npm start uses this shell's Postgres instead"
          '';
        };
      });
    };
}
