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
 * lib/bloblang's `error()` / `errored()` cannot see the message's processing error (ExecInput has
 * no field for it), yet Benthos error handling leans on them (`check: errored()`, `${! error() }`).
 * Until it has one, calls to them are rewritten to read a reserved metadata key that execInput sets
 * on failed messages and that is stripped from every result.
 */
const ERROR_KEY = "__reef_engine_error";

function rewriteErrorFunctions(src: string): string {
  if (!src.includes("error")) return src;
  return src
    .replace(/\berrored\(\s*\)/g, `(@${ERROR_KEY} != null)`)
    .replace(/\berror\(\s*\)/g, `@${ERROR_KEY}`);
}

export function compile(source: string): Mapping {
  const m = compileMapping(rewriteErrorFunctions(source));
  // Stripped always: a failed message carries the key whether or not the mapping reads it.
  return {
    exec(input, opts) {
      const res = m.exec(input, opts);
      delete res.metadata[ERROR_KEY];
      return res;
    },
    query: (input) => m.query(input),
  };
}

export function compileInterpolation(template: string): Interpolation {
  return compileInterp(rewriteErrorFunctions(template));
}

/** The exec input for message `index` of `batch`; content is read lazily, metadata is live. */
export function execInput(batch: Batch, index: number, vars?: Record<string, unknown>): ExecInput {
  const msg: Message = batch[index];
  const known = msg.knownValue;
  const input: ExecInput & { error?: string } = {
    get content() {
      return msg.content;
    },
    metadata: msg.error ? { ...msg.metadata, [ERROR_KEY]: msg.error.message } : msg.metadata,
    batch: { index, size: batch.length },
  };
  if (known) input.value = known.value;
  if (vars) input.vars = vars;
  // Also passed as a field, for when lib/bloblang reads it directly.
  if (msg.error) input.error = msg.error.message;
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
