// The forms a setting's value can take: each a zod schema over the variable's text (trimmed,
// never empty: an empty variable is an unset one) and the form's description, which names the
// expected form in an InvalidSettingError and in the README's configuration table.
import { z } from "zod";
import { DURATION_FORM, durationMs } from "../model/duration";

export interface Kind<T> {
  /** Parses the variable's text (trimmed, non-empty); an issue's message is a detail of the error. */
  readonly schema: z.ZodType<T, string>;
  /** The expected form, completing "<VARIABLE> must be …". */
  readonly form: string;
  /** The form in a word or two, for the README's tables. */
  readonly short: string;
}

function kind<T>(
  form: string,
  short: string,
  parse: (text: string, fail: (detail?: string) => never) => T,
): Kind<T> {
  class Invalid extends Error {}
  return {
    form,
    short,
    schema: z.string().transform((text, ctx) => {
      try {
        return parse(text, (detail) => {
          throw new Invalid(detail ?? "");
        });
      } catch (err) {
        if (!(err instanceof Invalid)) throw err;
        ctx.addIssue({ code: "custom", message: err.message, params: { detail: err.message } });
        return z.NEVER;
      }
    }),
  };
}

/** Any text. */
export const text: Kind<string> = kind("text", "text", (s) => s);

/** Text matching `pattern`. */
export function matching(pattern: RegExp, form: string): Kind<string> {
  return kind(form, "text", (s, fail) => (pattern.test(s) ? s : fail()));
}

/** One of `values`. */
export function oneOf<const V extends string>(values: readonly V[], form = values.join(", ")): Kind<V> {
  const short = values.map((v) => `\`${v}\``).join(" \\| ");
  return kind(form, short, (s, fail) => ((values as readonly string[]).includes(s) ? (s as V) : fail()));
}

/** A whole number from `min` (and up to `max`). */
export function int(min: number, max?: number): Kind<number> {
  const form =
    max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
  return kind(form, max === undefined ? `integer ≥ ${min}` : `integer ${min}–${max}`, (s, fail) => {
    const n = Number(s);
    return /^\d+$/.test(s) && Number.isSafeInteger(n) && n >= min && (max === undefined || n <= max)
      ? n
      : fail();
  });
}

/**
 * A duration in reef's one format (lib/model/duration.ts: `90s`, `5m`, `1h30m`, `250ms`; a plain
 * number is seconds), in milliseconds; at least `minMs` when given.
 */
export function duration(minMs?: number): Kind<number> {
  const form = minMs === undefined ? DURATION_FORM : `${DURATION_FORM}, at least ${minMs}ms`;
  return kind(form, minMs === undefined ? "duration" : `duration ≥ ${minMs}ms`, (s, fail) => {
    const ms = durationMs(s);
    if (ms === undefined) return fail("not a duration");
    return minMs !== undefined && ms < minMs ? fail(`below ${minMs}ms`) : ms;
  });
}

/**
 * Milliseconds, for the variables named `*_MS`: a plain number is milliseconds (the name says so);
 * anything else is a duration in reef's one format.
 */
export const milliseconds: Kind<number> = kind(
  `milliseconds (a plain number), or ${DURATION_FORM.replace(/; a plain number is seconds$/, "")}`,
  "milliseconds",
  (s, fail) => (/^\d+$/.test(s) ? Number(s) : (durationMs(s) ?? fail("not a duration"))),
);

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** A size in bytes: `1073741824`, `512MiB`, `1GiB`, `500MB`. */
export const bytes: Kind<number> = kind(
  "a size like 1073741824, 512MiB, 1GiB or 500MB",
  "size",
  (s, fail) => {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(s);
    const unit = m ? BYTE_UNITS[m[2].toLowerCase()] : undefined;
    return m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : fail("not a size");
  },
);

/** Comma-separated items (blanks dropped). */
export const list: Kind<string[]> = kind("a comma-separated list", "list", (s) =>
  s
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Comma-separated environment variable names. */
export const variableNames: Kind<string[]> = kind(
  "variable names separated by commas (like KAFKA_BROKERS,REGION)",
  "list of names",
  (s, fail) => {
    const names = list.schema.parse(s);
    const bad = names.find((n) => !VARIABLE_NAME.test(n));
    return bad === undefined ? names : fail(`${JSON.stringify(bad)} is not one`);
  },
);
