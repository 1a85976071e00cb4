// The one place the engine touches lib/bloblang: compiling mappings and interpolations, and building
// the exec input from a message.
import {
  compile as compileMapping,
  compileInterpolation as compileInterp,
  type ExecInput,
  type ExecResult,
  type Interpolation,
  type Mapping,
} from "../bloblang";
import type { Batch, Message } from "./message";

export type { ExecResult, Interpolation, Mapping };

/**
 * Compiled mappings by source, shared by every stream of the process (a reef host runs many streams
 * with the same mappings). A compiled mapping is immutable, except one using `counter()`, whose
 * count lives in the compiled program: those are compiled per use. Bounded: the oldest go first.
 */
const compiled = new Map<string, Mapping>();
const MAX_COMPILED = 2_000;

export function compile(source: string): Mapping {
  if (source.includes("counter(")) return compileMapping(source);
  const hit = compiled.get(source);
  if (hit) return hit;
  const m = compileMapping(source);
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(source, m);
  return m;
}

export function compileInterpolation(template: string): Interpolation {
  return compileInterp(template);
}

/** The exec input for message `index` of `batch`; content is read lazily, metadata is live. */
export function execInput(batch: Batch, index: number, vars?: Record<string, unknown>): ExecInput {
  const msg: Message = batch[index];
  const known = msg.knownValue;
  const input: ExecInput = {
    get content() {
      return msg.content;
    },
    metadata: msg.metadata,
    batch: { index, size: batch.length },
    // what error() / errored() see: the message's processing error (catch, try, switch checks…)
    error: msg.error?.message ?? null,
  };
  if (known) input.value = known.value;
  if (vars) input.vars = vars;
  return input;
}

/** A field that may hold `${! … }`: static strings skip Bloblang entirely. */
export class InterpolatedString {
  private readonly interp?: Interpolation;
  constructor(readonly source: string) {
    if (source.includes("${!")) this.interp = compileInterpolation(source);
  }
  get isStatic(): boolean {
    return !this.interp || this.interp.isStatic;
  }
  render(batch: Batch, index: number): string {
    if (!this.interp) return this.source;
    return this.interp.render(execInput(batch, index));
  }
  renderMsg(msg: Message): string {
    return this.render([msg], 0);
  }
  renderBytes(batch: Batch, index: number): Uint8Array {
    if (!this.interp) return new TextEncoder().encode(this.source);
    return this.interp.renderBytes(execInput(batch, index));
  }
}
