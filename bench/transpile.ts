import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { BUILD_DIR } from "./processes.js";

/** Files run as child processes: transpiled to plain JS so no TypeScript loader runs in them. */
const CHILD_SOURCES = ["protocol.ts", "lambda-stub.ts", "baseline-consumer.ts"];

export function transpileChildren(): void {
  mkdirSync(BUILD_DIR, { recursive: true });
  for (const file of CHILD_SOURCES) {
    const source = readFileSync(join(import.meta.dirname, file), "utf8");
    const output = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(BUILD_DIR, file.replace(/\.ts$/, ".js")), output.outputText);
  }
}
