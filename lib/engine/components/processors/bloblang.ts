// `mapping`, `mutation` and the older `bloblang` processor.
import { compile, execInput, type ExecResult } from "../../blobl";
import type { Message } from "../../message";
import type { Processor } from "../../runtime/types";
import { perMessageSync } from "./run";

/** Writes a Bloblang result onto a message: bytes stay bytes, anything else is structured. */
export function applyResult(msg: Message, res: ExecResult, keepContentWhenUnset: boolean): void {
  msg.metadata = res.metadata;
  if (res.value === undefined) {
    if (!keepContentWhenUnset) msg.setContent(new Uint8Array());
    return;
  }
  if (res.value instanceof Uint8Array) msg.setContent(res.value);
  else msg.setValue(res.value);
}

export function mappingProcessor(source: string, mode: "mapping" | "mutation"): Processor {
  const m = compile(source);
  return perMessageSync((msg, batch, i) => {
    const res = m.exec(execInput(batch, i), { mode });
    if (res.deleted) return null;
    // A mapping that never assigns root leaves the content as it was (as Benthos does).
    applyResult(msg, res, true);
    return msg;
  });
}
