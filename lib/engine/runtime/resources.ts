// Resource components by label, built on first use and shared by every reference.
import type { EngineConfig } from "../config/types";
import { EngineError } from "../errors";
import { LocalRateLimit, MemoryCache, type Cache, type RateLimit } from "./cache";
import type { BuildContext, Resources } from "./context";
import type { Input, Output, Processor } from "./types";

export interface Builders {
  input(conf: EngineConfig["input"], ctx: BuildContext): Input;
  processor(conf: EngineConfig["input"], ctx: BuildContext): Processor;
  output(conf: EngineConfig["output"], ctx: BuildContext): Output;
}

export class ResourceSet implements Resources {
  private readonly built = new Map<string, unknown>();
  private readonly building = new Set<string>();
  readonly outputs: Output[] = [];
  readonly inputs: Input[] = [];
  readonly processors: Processor[] = [];
  ctx!: BuildContext;

  constructor(
    private readonly config: EngineConfig,
    private readonly builders: Builders,
  ) {}

  private once<T>(key: string, make: () => T): T {
    if (this.built.has(key)) return this.built.get(key) as T;
    if (this.building.has(key)) throw new EngineError(`resource ${key} refers to itself`, "INVALID_CONFIG");
    this.building.add(key);
    try {
      const v = make();
      this.built.set(key, v);
      return v;
    } finally {
      this.building.delete(key);
    }
  }

  private conf<T>(bag: Record<string, T>, kind: string, name: string): T {
    const c = bag[name];
    if (!c) throw new EngineError(`${kind} resource ${name} is not defined`, "INVALID_CONFIG");
    return c;
  }

  cache(name: string): Cache {
    return this.once(`cache:${name}`, () => {
      const c = this.conf(this.config.resources.caches, "cache", name);
      if (c.type !== "memory") throw new EngineError(`cache ${c.type} is not supported`, "INVALID_CONFIG");
      return new MemoryCache(c.config);
    });
  }

  rateLimit(name: string): RateLimit {
    return this.once(`rate_limit:${name}`, () => {
      const c = this.conf(this.config.resources.rateLimits, "rate limit", name);
      if (c.type !== "local")
        throw new EngineError(`rate limit ${c.type} is not supported`, "INVALID_CONFIG");
      return new LocalRateLimit(c.config);
    });
  }

  processor(name: string): Processor {
    return this.once(`processor:${name}`, () => {
      const p = this.builders.processor(
        this.conf(this.config.resources.processors, "processor", name),
        this.ctx,
      );
      this.processors.push(p);
      return p;
    });
  }

  input(name: string): Input {
    return this.once(`input:${name}`, () => {
      const i = this.builders.input(this.conf(this.config.resources.inputs, "input", name), this.ctx);
      this.inputs.push(i);
      return i;
    });
  }

  output(name: string): Output {
    return this.once(`output:${name}`, () => {
      const o = this.builders.output(this.conf(this.config.resources.outputs, "output", name), this.ctx);
      // A resource output is shared: connect it once, however many places use it.
      let connected: Promise<void> | undefined;
      const shared: Output = {
        get maxInFlight() {
          return o.maxInFlight;
        },
        connect: () => (connected ??= o.connect()),
        write: (b) => o.write(b),
        close: async () => {},
      };
      this.outputs.push(o);
      return shared;
    });
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([
      ...this.processors.map((p) => p.close?.()),
      ...this.outputs.map((o) => o.close()),
    ]);
  }
}
