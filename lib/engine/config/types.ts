// The normalised config the engine runs: every component with its defaults applied.
import type { LintIssue } from "../../model";

export type { LintIssue };

export interface ComponentConfig {
  /** Component type name, e.g. `nats_jetstream`, or `resource` for a reference. */
  type: string;
  /** The user's label, or "" when none was set. */
  label: string;
  /** The component's config with defaults applied (an object, a string or an array by component). */
  config: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** `processors` attached to an input or output. */
  processors: ComponentConfig[];
  /** YAML path, e.g. `pipeline.processors.0`; also the default metrics name. */
  path: string;
}

export interface EngineConfig {
  input: ComponentConfig;
  buffer: ComponentConfig;
  pipeline: { threads: number; processors: ComponentConfig[] };
  output: ComponentConfig;
  resources: {
    inputs: Record<string, ComponentConfig>;
    processors: Record<string, ComponentConfig>;
    outputs: Record<string, ComponentConfig>;
    caches: Record<string, ComponentConfig>;
    rateLimits: Record<string, ComponentConfig>;
  };
  http: { address: string; enabled: boolean; explicit: boolean; root_path: string };
  logger: { level: string; format: string; add_timestamp: boolean; static_fields: Record<string, unknown> };
  metrics: { type: string; mapping: string };
  /** Milliseconds. */
  shutdownTimeoutMs: number;
  /** Raw `tests:` of the config, for `runConfigTests`. */
  tests: unknown[];
  /** The file it came from, when known. */
  path?: string;
  /** Non-fatal lint findings. */
  warnings: LintIssue[];
  /** Components only the built-in engine has (`input postgres_notify`): no Benthos binary runs this config. */
  reefOnly: string[];
  /** `kind type` of every component the config uses (`processor mapping`, `input nats`). */
  components: string[];
}
