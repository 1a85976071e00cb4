// The stream logger: Benthos levels, logfmt or JSON lines on stderr, or a caller-supplied function.
export type LogFn = (level: string, msg: string, fields?: object) => void;

const LEVELS = ["NONE", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL"];

export interface Logger {
  log(level: string, msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  debug(msg: string, fields?: object): void;
}

export function makeLogger(
  conf: { level: string; format: string; add_timestamp: boolean; static_fields: Record<string, unknown> },
  sink?: LogFn,
  /** Also gets every line written to stderr (the runner publishes them over NATS). */
  tap?: (level: string, line: string) => void,
  /** Where the lines go (stderr by default; `reef test --log` writes them to stdout, as Benthos). */
  out: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const level = conf.level.toUpperCase();
  const max = LEVELS.indexOf(level === "OFF" ? "NONE" : level); // Benthos takes both
  const enabled = (lvl: string) => LEVELS.indexOf(lvl) <= (max < 0 ? 4 : max) && lvl !== "NONE";
  const write: LogFn =
    sink ??
    ((level, msg, fields) => {
      const rec: Record<string, unknown> = {
        ...(conf.add_timestamp ? { time: new Date().toISOString() } : {}),
        level: level.toLowerCase(),
        msg,
        ...conf.static_fields,
        ...(fields ?? {}),
      };
      const line =
        conf.format === "json"
          ? JSON.stringify(rec)
          : Object.entries(rec)
              .map(([k, v]) => `${k}=${fmt(v)}`)
              .join(" ");
      out(line + "\n");
      tap?.(level, line);
    });
  const log = (level: string, msg: string, fields?: object) => {
    const lvl = level.toUpperCase();
    if (enabled(lvl)) write(lvl, msg, fields);
  };
  return {
    log,
    error: (m, f) => log("ERROR", m, f),
    warn: (m, f) => log("WARN", m, f),
    info: (m, f) => log("INFO", m, f),
    debug: (m, f) => log("DEBUG", m, f),
  };
}

function fmt(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return /[\s="]/.test(s) ? JSON.stringify(s) : s;
}
