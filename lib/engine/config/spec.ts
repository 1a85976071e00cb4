// A small schema language for Benthos component configs: lint checks YAML against it, the loader
// applies its defaults. Field names and defaults follow the Benthos/Redpanda Connect docs.
export type FieldKind =
  | "string"
  | "int"
  | "float"
  | "bool"
  | "duration"
  | "object"
  | "array"
  | "map"
  | "any"
  | "bloblang"
  | "input"
  | "output"
  | "processor"
  | "scanner";

export interface FieldSpec {
  kind: FieldKind;
  /** Present = optional with this default. */
  default?: unknown;
  /** Optional without a default. */
  optional?: boolean;
  /** Accepts `${! … }`. */
  interpolated?: boolean;
  children?: Record<string, FieldSpec>;
  items?: FieldSpec;
  values?: FieldSpec;
  /** Benthos has it; the built-in engine ignores it. Lint warns when it is set. */
  ignored?: string;
  /** Benthos has it; the built-in engine cannot do it. Lint errors when it is set to a non-default. */
  unsupported?: string;
  /** Allowed values (strings). */
  oneOf?: string[];
  /** Cross-field rules of a component (Benthos's lint rules), run on its config with defaults applied. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  lint?: (config: any) => LintFinding[];
}

/** A finding of a component lint rule; `field` points at one of the component's fields. */
export interface LintFinding {
  message: string;
  field?: string;
  level?: "error" | "warning";
}

export type ComponentKind = "input" | "processor" | "output" | "cache" | "rate_limit" | "buffer";

export interface ComponentSpec {
  kind: ComponentKind;
  name: string;
  config: FieldSpec;
}

export const isRequired = (f: FieldSpec): boolean => !("default" in f) && !f.optional;

// Builders keep the component tables short.
export const str = (def?: string, extra: Partial<FieldSpec> = {}): FieldSpec =>
  def === undefined ? { kind: "string", ...extra } : { kind: "string", default: def, ...extra };
export const optStr = (extra: Partial<FieldSpec> = {}): FieldSpec => ({
  kind: "string",
  optional: true,
  ...extra,
});
export const interp = (def?: string): FieldSpec => str(def, { interpolated: true });
export const int = (def?: number): FieldSpec =>
  def === undefined ? { kind: "int" } : { kind: "int", default: def };
export const float = (def: number): FieldSpec => ({ kind: "float", default: def });
export const bool = (def: boolean): FieldSpec => ({ kind: "bool", default: def });
export const dur = (def?: string): FieldSpec =>
  def === undefined ? { kind: "duration" } : { kind: "duration", default: def };
export const optDur = (): FieldSpec => ({ kind: "duration", optional: true });
export const blobl = (def?: string): FieldSpec =>
  def === undefined ? { kind: "bloblang" } : { kind: "bloblang", default: def };
export const optBlobl = (): FieldSpec => ({ kind: "bloblang", optional: true });
export const arr = (items: FieldSpec, def?: unknown[]): FieldSpec =>
  def === undefined ? { kind: "array", items } : { kind: "array", items, default: def };
export const map = (values: FieldSpec, def?: Record<string, unknown>): FieldSpec =>
  def === undefined ? { kind: "map", values } : { kind: "map", values, default: def };
export const obj = (children: Record<string, FieldSpec>, extra: Partial<FieldSpec> = {}): FieldSpec => ({
  kind: "object",
  children,
  default: {},
  ...extra,
});
export const any = (def?: unknown): FieldSpec =>
  def === undefined ? { kind: "any", optional: true } : { kind: "any", default: def };
export const processors = (): FieldSpec => arr({ kind: "processor" }, []);
export const ignored = (f: FieldSpec, why: string): FieldSpec => ({ ...f, ignored: why });
export const unsupported = (f: FieldSpec, why: string): FieldSpec => ({ ...f, unsupported: why });

export const batchingSpec = (): FieldSpec =>
  obj({
    count: int(0),
    byte_size: int(0),
    period: str(""),
    check: blobl(""),
    processors: processors(),
    jitter: ignored(float(0), "batch jitter is ignored"),
  });
