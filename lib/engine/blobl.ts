// The one place the engine touches lib/bloblang: compiling mappings and interpolations, and building
// the exec input from a message.
import {
  compile,
  compileInterpolation,
  type ExecInput,
  type ExecResult,
  type Interpolation,
  type Mapping,
} from "../bloblang";
import type { Batch, Message } from "./message";

export { compile, compileInterpolation };
export type { ExecResult, Interpolation, Mapping };

/** The exec input for message `index` of `batch`; content is read lazily, metadata is live. */
export function execInput(batch: Batch, index: number, vars?: Record<string, unknown>): ExecInput {
  const msg: Message = batch[index];
  const known = msg.knownValue;
  const input: ExecInput & { error?: string } = {
    get content() {
      return msg.content;
    },
    metadata: msg.metadata,
    batch: { index, size: batch.length },
  };
  if (known) input.value = known.value;
  if (vars) input.vars = vars;
  // Not part of the published ExecInput yet: lets `error()` / `errored()` see the message's error.
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
