// `${VAR}` / `${VAR:default}` expansion over the raw config text, as Benthos does before parsing.
// `${! … }` (Bloblang interpolation) is left alone; `$${VAR}` escapes to a literal `${VAR}`.
export interface MissingEnvVar {
  name: string;
  line: number;
  column: number;
}

const ENV_RE = /(\$?)\$\{([A-Za-z_][A-Za-z0-9_.]*)(?::([^}]*))?\}/g;

export function expandEnv(
  text: string,
  env: NodeJS.ProcessEnv = process.env,
): { text: string; missing: MissingEnvVar[] } {
  const missing: MissingEnvVar[] = [];
  const out = text.replace(
    ENV_RE,
    (whole, escape: string, name: string, def: string | undefined, offset: number) => {
      if (escape) return whole.slice(1);
      const value = env[name];
      if (value !== undefined && value !== "") return value;
      if (def !== undefined) return def;
      const { line, column } = lineColumn(text, offset);
      missing.push({ name, line, column });
      return "";
    },
  );
  return { text: out, missing };
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}
