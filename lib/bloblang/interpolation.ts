// `${! expr }` interpolations inside config strings (Go's field parser): `${{! … }}` escapes to a
// literal `${! … }`, and `$${!` is emitted as a literal `${!` too.
import type { Fn } from "./runtime";
import { Ctx, NONE } from "./runtime";
import type { Value, ValueObject } from "./value";
import { utf8 } from "./value";
import { Parser } from "./parser";
import type { ParseFail } from "./parser";
import { BloblangCompileError } from "./errors";
import { messageCtx } from "./exec";
import type { RunInput } from "./exec";
import { toGoString } from "./format";

type Part = string | Fn;

export function compileInterpolationImpl(template: string) {
  const parts: Part[] = [];
  let lit = "";
  let i = 0;
  while (i < template.length) {
    if (template.startsWith("$${!", i)) {
      lit += "${!";
      i += 4;
      continue;
    }
    if (template.startsWith("${{!", i)) {
      const end = template.indexOf("}}", i + 4);
      if (end < 0)
        throw new BloblangCompileError(`char ${i + 1}: required: expected end of escaped expression`);
      lit += "${!" + template.slice(i + 4, end) + "}";
      i = end + 2;
      continue;
    }
    if (template.startsWith("${!", i)) {
      const p = new Parser(template, {});
      p.pos = i + 3;
      p.spaces();
      let q: Fn | null = null;
      try {
        q = p.query();
      } catch (e) {
        const f = (e as { fail?: ParseFail }).fail;
        if (f) throw new BloblangCompileError(p.describe(f).replace(/^line \d+ char (\d+)/, "char $1"));
        throw e;
      }
      if (!q) throw new BloblangCompileError(`char ${p.pos + 1}: required: expected query`);
      p.spaces();
      if (p.peek() !== "}")
        throw new BloblangCompileError(`char ${p.pos + 1}: required: expected end of expression`);
      if (lit) parts.push(lit);
      lit = "";
      parts.push(q);
      i = p.pos + 1;
      continue;
    }
    lit += template[i];
    i++;
  }
  if (lit) parts.push(lit);
  const isStatic = parts.every((p) => typeof p === "string");

  const render = (input: RunInput): string => {
    if (isStatic) return parts.join("");
    const meta: ValueObject = { ...(input.metadata ?? {}) };
    const msg = messageCtx(input, meta);
    const ctx = new Ctx(NONE, NONE, null, { ...(input.vars ?? {}) }, {}, null, meta, msg, 0);
    let out = "";
    for (const p of parts) {
      if (typeof p === "string") out += p;
      else {
        const v: Value = p.exec(ctx);
        out += toGoString(v);
      }
    }
    return out;
  };
  return {
    isStatic,
    render,
    renderBytes: (input: RunInput) => utf8(render(input)),
  };
}
