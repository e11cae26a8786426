const UNITS: Array<[string, number]> = [
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
];

/** A duration as a short label for names: 10000 → "10s", 90000 → "1m30s", 1500 → "1500ms". */
export function durationLabel(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  let rest = ms;
  let label = "";
  for (const [unit, size] of UNITS) {
    const amount = Math.floor(rest / size);
    if (amount > 0) label += `${amount}${unit}`;
    rest -= amount * size;
  }
  return label || "0s";
}
