// Bundles the example service's handlers (examples/handlers/*.mjs, those serverless.yml names as
// examples/dist/<name>.handler) into examples/dist/<name>.mjs, each with what it imports from the
// example's dependencies (@middy/core, amqp-lambda-agent's middleware): so the zip `serverless
// package` makes runs on Lambda with nothing else, while @middy/core stays a devDependency (an
// optional peer) of this package. Any other package stays an import, so a handler importing a
// devDependency fails from its zip (the serverless-package test), as it would on Lambda.
// Runs after every `npm run build` (dist/middleware must be built).
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, "examples/dist");
/** What the example's functions may import besides Node's modules: bundled into each. */
const EXAMPLE_DEPENDENCIES = new Set(["@middy/core", "amqp-lambda-agent"]);

const serverlessYml = readFileSync(join(ROOT, "serverless.yml"), "utf8");
const names = [...serverlessYml.matchAll(/^\s*handler:\s*examples\/dist\/([\w-]+)\.\w+\s*$/gm)].map(
  (m) => m[1],
);
if (names.length === 0) throw new Error("serverless.yml names no handler examples/dist/<name>.<export>");

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
const packageName = (specifier) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: Object.fromEntries(
    names.map((name) => [name, join(ROOT, "examples/handlers", `${name}.mjs`)]),
  ),
  outdir: OUT,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  logLevel: "warning",
  banner: { js: "// Built by scripts/bundle-example.mjs from examples/handlers/: edit those, not this." },
  plugins: [
    {
      name: "only-the-example-dependencies",
      setup(builder) {
        // Bare specifiers (packages): bundled when the example depends on them, else left as imports.
        builder.onResolve({ filter: /^[^./]/ }, (args) =>
          EXAMPLE_DEPENDENCIES.has(packageName(args.path)) ? undefined : { external: true },
        );
      },
    },
  ],
});
