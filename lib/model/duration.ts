// The one duration format of reef's own settings and definitions: Go-style (`90s`, `5m`, `1h30m`,
// `250ms`, plus `d` and `w`), a plain number is seconds. (Benthos config durations are the
// engine's own: lib/engine/duration.ts.)
const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

export const DURATION_FORM = "a duration like 90s, 5m, 1h30m or 250ms; a plain number is seconds";

/** Milliseconds, or undefined when the text is not a duration. */
export function durationMs(text: string): number | undefined {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1_000);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2]];
    end = re.lastIndex;
  }
  return end > 0 && end === s.length ? Math.round(total) : undefined;
}
