// `npm run test:coverage`: the unit tests alone (no broker, no network), with Node's own coverage
// over the core folders and the backends' own logic; exits non-zero under the thresholds, or when a
// file there was never loaded by a unit test (Node 24 leaves such a file out of its report instead of
// counting 0%).
// Prints Node's report per file (line numbers are the .ts sources', through tsx's source maps),
// then the totals per folder; coverage/lcov.info is the same data for an editor.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, matchesGlob } from "node:path";

/** The folders the gate measures. */
const INCLUDE = [
  "src/intake",
  "src/held",
  "src/pipeline",
  "src/settle",
  "src/policy",
  "src/copies",
  "src/amqp",
  "src/agent",
  "src/backends",
];
/** Not the gate's: the transports, tested against local stubs (their own unit tests) rather than fakes. */
const TRANSPORTS = ["src/backends/lambda/invoke/**", "src/backends/http/**"];
/** Files left out of the gate (none now: list one here only while it is being rewritten). */
const EXCLUDE = [];
/** Percentages of all measured files together. */
const THRESHOLDS = { lines: 95, branches: 90, functions: 95 };
const LCOV = "coverage/lcov.info";

mkdirSync(dirname(LCOV), { recursive: true });
const run = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--enable-source-maps",
    "--experimental-test-coverage",
    ...INCLUDE.map((folder) => `--test-coverage-include=${folder}/**`),
    ...[...TRANSPORTS, ...EXCLUDE].map((pattern) => `--test-coverage-exclude=${pattern}`),
    ...Object.entries(THRESHOLDS).map(([kind, percent]) => `--test-coverage-${kind}=${percent}`),
    // A test that waits for a timer nobody fires fails instead of hanging the gate.
    "--test-timeout=60000",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=lcov",
    `--test-reporter-destination=${LCOV}`,
    "--test",
    "test/unit/**/*.test.ts",
  ],
  { stdio: "inherit" },
);

const measured = readLcov(LCOV);
const missing = INCLUDE.flatMap(sources)
  .filter((file) => !EXCLUDE.includes(file) && !TRANSPORTS.some((glob) => matchesGlob(file, glob)))
  .filter((file) => !measured.has(file))
  .sort();
printFolderTotals(measured);
if (EXCLUDE.length > 0) console.log(`not measured for now: ${EXCLUDE.join(", ")}`);
if (missing.length > 0) {
  console.error(`never loaded by a unit test (0% covered): ${missing.join(", ")}`);
}
process.exit(run.status !== 0 || missing.length > 0 ? 1 : 0);

function sources(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = `${folder}/${name}`;
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** File → found/hit counts of lines, branches and functions. */
function readLcov(file) {
  const files = new Map();
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return files;
  }
  let current;
  for (const line of text.split("\n")) {
    const [key, value] = [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)];
    if (key === "SF") {
      current = { LF: 0, LH: 0, BRF: 0, BRH: 0, FNF: 0, FNH: 0 };
      files.set(value, current);
    } else if (current && key in current) {
      current[key] = Number(value);
    }
  }
  return files;
}

function printFolderTotals(files) {
  const folders = new Map();
  for (const [file, counts] of files) {
    const folder = dirname(file);
    const total = folders.get(folder) ?? { LF: 0, LH: 0, BRF: 0, BRH: 0, FNF: 0, FNH: 0 };
    for (const key of Object.keys(total)) total[key] += counts[key];
    folders.set(folder, total);
  }
  const percent = (hit, found) => (found === 0 ? "100.00" : ((100 * hit) / found).toFixed(2));
  console.log("coverage by folder   | line % | branch % | funcs %");
  for (const [folder, t] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
    const cells = [percent(t.LH, t.LF), percent(t.BRH, t.BRF), percent(t.FNH, t.FNF)];
    console.log(
      `${folder.padEnd(20)} | ${cells[0].padStart(6)} | ${cells[1].padStart(8)} | ${cells[2].padStart(7)}`,
    );
  }
}
