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

/**
 * Handlers that bundle the AWS SDK too (and every other package they import): one copy of
 * @aws-sdk/client-s3 for the handler's client and the middleware's commands, and a zip that runs
 * as it is.
 */
const WITH_EVERY_PACKAGE = new Set(["large-payload"]);

rmSync(OUT, { recursive: true, force: true });
const entries = (filter) =>
  Object.fromEntries(
    names.filter(filter).map((name) => [name, join(ROOT, "examples/handlers", `${name}.mjs`)]),
  );
const options = {
  outdir: OUT,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  logLevel: "warning",
  banner: { js: "// Built by scripts/bundle-example.mjs from examples/handlers/: edit those, not this." },
};
const withPackages = entries((name) => WITH_EVERY_PACKAGE.has(name));
if (Object.keys(withPackages).length > 0) {
  // The SDK's CommonJS dependencies call require(): give the ESM bundle one.
  const banner = `${options.banner.js}\nimport { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);`;
  await build({ ...options, entryPoints: withPackages, banner: { js: banner } });
}
await build({
  ...options,
  entryPoints: entries((name) => !WITH_EVERY_PACKAGE.has(name)),
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
