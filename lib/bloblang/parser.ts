// Hand-written parser for Bloblang V1: reads the syntax and compiles it straight into executable
// closures through builders.ts (what each construct does at run time lives there, not here).
// It follows the structure of the Go combinator parser so that whitespace/newline rules, literal
// folding and error positions behave the same; comments name the Go parser each part mirrors.
import { posix } from "node:path";
import type { Arg, Fn, MapDef, Statement } from "./runtime";
import type { Op } from "./ops";
import { arithmetic, literal } from "./ops";
import { BloblangCompileError, BloblangError } from "./errors";
import { goTypeName } from "./value";
import { lookupFunction, lookupMethod } from "./registry";
import { unquote } from "./quote";
import {
  arrayLiteral,
  assignment,
  fieldFn,
  getPath,
  ifFn,
  ifStatement,
  letStatement,
  mapExpression,
  matchFn,
  metaFn,
  metaStatement,
  namedContextFn,
  notFn,
  objectLiteral,
  varFn,
} from "./builders";

/** A parse failure: soft (try the next alternative) unless `fatal`. */
export class ParseFail {
  constructor(
    readonly pos: number,
    readonly expected: string[],
    readonly err: string | null = null,
  ) {}
  get fatal(): boolean {
    return this.err !== null;
  }
}

class FatalParse extends Error {
  constructor(readonly fail: ParseFail) {
    super(fail.err ?? "parse error");
  }
}

export interface ParserOpts {
  /** Reads an import; receives the path joined onto `importBase` (Go's custom importer semantics). */
  importer?: (path: string) => string;
  /** Directory imports resolve against (relative to the importing file for nested imports). */
  importBase?: string;
}

const isWordChar = (c: string) =>
  (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c === "_";
const isSnakeChar = (c: string) => (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c === "_";

export class Parser {
  pos = 0;
  named: string[] = [];
  furthest: ParseFail | null = null;

  constructor(
    readonly src: string,
    readonly maps: Record<string, MapDef>,
    readonly opts: ParserOpts = {},
  ) {}

  // ---------- low-level helpers ----------
  peek(n = 0): string {
    return this.src[this.pos + n] ?? "";
  }
  eof(): boolean {
    return this.pos >= this.src.length;
  }
  startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }
  /** Records a soft failure; like Go's OneOf, the furthest failure wins and ties merge expectations. */
  soft(expected: string[], pos = this.pos): ParseFail {
    const f = new ParseFail(pos, expected);
    if (!this.furthest || pos > this.furthest.pos) this.furthest = f;
    else if (pos === this.furthest.pos && !this.furthest.fatal)
      this.furthest = new ParseFail(pos, [...this.furthest.expected, ...expected]);
    return f;
  }
  /** Records a soft failure at `pos` and rewinds to `start`; returns null for `return this.miss(...)`. */
  miss(expected: string[], pos: number, start: number): null {
    this.soft(expected, pos);
    this.pos = start;
    return null;
  }
  fatal(msg: string, pos = this.pos, expected: string[] = []): never {
    throw new FatalParse(new ParseFail(pos, expected, msg));
  }
  /** SpacesAndTabs: at least one; returns whether any were consumed. */
  spaces(): boolean {
    const s = this.pos;
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
    return this.pos > s;
  }
  /** NewlineAllowComment */
  newlineOrComment(): boolean {
    const c = this.peek();
    if (c === "\n") {
      this.pos++;
      return true;
    }
    if (c === "\r" && this.peek(1) === "\n") {
      this.pos += 2;
      return true;
    }
    if (c === "#") {
      // like Go's Comment combinator, a comment must be terminated by a line break
      const nl = this.src.indexOf("\n", this.pos);
      if (nl < 0) return false;
      this.pos = nl + 1;
      return true;
    }
    return false;
  }
  /** DiscardedWhitespaceNewlineComments */
  wsnl(): void {
    for (;;) {
      if (this.spaces()) continue;
      if (this.newlineOrComment()) continue;
      break;
    }
  }
  word(): string {
    const s = this.pos;
    while (!this.eof() && isWordChar(this.src[this.pos])) this.pos++;
    return this.src.slice(s, this.pos);
  }
  snake(): string {
    const s = this.pos;
    while (!this.eof() && isSnakeChar(this.src[this.pos])) this.pos++;
    return this.src.slice(s, this.pos);
  }
  term(t: string): boolean {
    if (this.src.startsWith(t, this.pos)) {
      this.pos += t.length;
      return true;
    }
    return false;
  }

  /** QuotedString (Go strconv.Unquote semantics); null if not at a quote. */
  quoted(): string | null {
    if (this.peek() !== '"') return null;
    const start = this.pos;
    let escaped = false;
    for (let i = this.pos + 1; i < this.src.length; i++) {
      const c = this.src[i];
      if (c === '"' && !escaped) {
        const raw = this.src.slice(start + 1, i);
        const v = unquote(raw);
        if (v === null) this.fatal("failed to unescape quoted string contents: invalid syntax", start);
        this.pos = i + 1;
        return v;
      }
      if (c === "\\") escaped = !escaped;
      else escaped = false;
    }
    this.fatal("required", this.src.length, ["end quote"]);
  }
  tripleQuoted(): string | null {
    if (!this.startsWith('"""')) return null;
    const end = this.src.indexOf('"""', this.pos + 3);
    if (end < 0) this.fatal("required", this.src.length, ["end triple-quote"]);
    const v = this.src.slice(this.pos + 3, end);
    this.pos = end + 3;
    return v;
  }

  // ---------- queries ----------
  /** queryParser: arithmetic over terms. Returns null on a soft failure (position restored). */
  query(): Fn | null {
    const start = this.pos;
    this.spaces();
    const fns: Fn[] = [];
    const ops: Op[] = [];
    for (;;) {
      const termStart = this.pos;
      let neg = false;
      if (this.peek() === "-") {
        this.pos++;
        this.wsnl();
        neg = true;
      }
      const at = this.pos;
      let fn = this.withTails();
      if (!fn) {
        this.soft(["query"], at);
        if (fns.length === 0) {
          this.pos = start;
          return null;
        }
        this.pos = termStart;
        throw new FatalParse(new ParseFail(at, ["query"]));
      }
      if (neg) fn = this.orFatal(() => arithmetic([literal(0n), fn!], ["-"]), termStart);
      fns.push(fn);
      const save = this.pos;
      this.spaces();
      const op = this.operator();
      if (!op) {
        this.pos = save;
        break;
      }
      ops.push(op);
      this.wsnl();
    }
    return this.orFatal(() => arithmetic(fns, ops), start);
  }
  /** Builds an expression; a build error (bad literal arithmetic, unknown method, bad args) is fatal at `pos`. */
  orFatal(f: () => Fn, pos: number): Fn {
    try {
      return f();
    } catch (e) {
      if (e instanceof BloblangError) this.fatal(e.message, pos);
      throw e;
    }
  }
  operator(): Op | null {
    const two = this.src.slice(this.pos, this.pos + 2);
    if (["&&", "||", "==", "!=", ">=", "<="].includes(two)) {
      this.pos += 2;
      return two as Op;
    }
    const c = this.peek();
    if ("+-/*%><|".includes(c) && c !== "") {
      this.pos++;
      return c as Op;
    }
    return null;
  }

  /** parseWithTails: optional `!`, a root, then `.field` / `.method()` / `.(expr)` tails. */
  withTails(): Fn | null {
    const start = this.pos;
    let not = false;
    if (this.peek() === "!") {
      this.pos++;
      this.spaces();
      not = true;
    }
    let fn = this.rootExpr();
    if (!fn) {
      this.pos = start;
      return null;
    }
    while (this.peek() === ".") {
      this.pos++;
      this.wsnl();
      const tail = this.tail(fn);
      if (!tail) throw new FatalParse(new ParseFail(this.pos, ["method", "field path"], "required"));
      fn = tail;
    }
    if (not) fn = notFn(fn);
    return fn;
  }

  tail(target: Fn): Fn | null {
    const start = this.pos;
    // map expression `.( … )`
    if (this.peek() === "(") {
      this.pos++;
      this.wsnl();
      const q = this.query();
      if (q) {
        this.wsnl();
        if (this.peek() === ")") {
          this.pos++;
          return mapExpression(target, q);
        }
      }
      this.pos = start;
    }
    // method
    const name = this.snake();
    if (name && this.peek() === "(") {
      const args = this.args();
      return this.orFatal(() => lookupMethod(name, target, args, this.named), this.pos);
    }
    this.pos = start;
    // field
    const seg = this.word();
    if (seg) return getPath(target, [seg]);
    const q = this.quoted();
    if (q !== null) return getPath(target, [q]);
    this.pos = start;
    return null;
  }

  /** functionArgsParser: `( arg, name: arg, … )` */
  args(): Arg[] {
    this.pos++; // (
    this.wsnl();
    const out: Arg[] = [];
    if (this.peek() === ")") {
      this.pos++;
      return out;
    }
    for (;;) {
      const s = this.pos;
      const nm = this.snake();
      let arg: Arg | null = null;
      if (nm && this.peek() === ":") {
        this.pos++;
        this.spaces();
        const q = this.query();
        if (!q) throw new FatalParse(this.soft(["argument value"]));
        arg = { name: nm, fn: q };
      } else {
        this.pos = s;
        const q = this.query();
        if (!q) throw new FatalParse(this.soft(["function argument"]));
        arg = { fn: q };
      }
      out.push(arg);
      const save = this.pos;
      this.spaces();
      if (this.peek() === ",") {
        this.pos++;
        this.wsnl();
        if (this.peek() === ")") {
          this.pos++;
          return out;
        }
        continue;
      }
      this.pos = save;
      this.wsnl();
      if (this.peek() === ")") {
        this.pos++;
        return out;
      }
      throw new FatalParse(this.soft(["comma", "closing bracket"]));
    }
  }

  /** The OneOf of root expressions in queryParser. */
  rootExpr(): Fn | null {
    return (
      this.matchExpr() ??
      this.ifExpr() ??
      this.lambdaExpr() ??
      this.bracketExpr() ??
      this.literalExpr() ??
      this.functionExpr() ??
      this.metaRef() ??
      this.varRef() ??
      this.fieldRoot()
    );
  }

  matchExpr(): Fn | null {
    const start = this.pos;
    if (!this.term("match") || !this.spaces()) {
      this.pos = start;
      return null;
    }
    let subject: Fn | null = null;
    const beforeSubject = this.pos;
    try {
      subject = this.query();
    } catch (e) {
      if (!(e instanceof FatalParse) || e.fail.fatal) throw e;
      subject = null;
    }
    if (!subject) this.pos = beforeSubject;
    this.wsnl();
    if (this.peek() !== "{") throw new FatalParse(this.soft(["{"]));
    this.pos++;
    this.wsnl();
    const cases: { pat: Fn | null; res: Fn }[] = [];
    while (this.peek() !== "}") {
      if (this.eof()) throw new FatalParse(this.soft(["}"]));
      let pat: Fn | null = null;
      const cs = this.pos;
      let wildcard = false;
      if (this.peek() === "_") {
        this.pos++;
        this.spaces();
        if (this.term("=>")) wildcard = true;
        else this.pos = cs;
      }
      if (!wildcard) {
        pat = this.query();
        if (!pat) throw new FatalParse(this.soft(["match case"]));
        this.spaces();
        if (!this.term("=>")) throw new FatalParse(this.soft(["=>"]));
      }
      this.spaces();
      const res = this.query();
      if (!res) throw new FatalParse(this.soft(["query"]));
      cases.push({ pat, res });
      const save = this.pos;
      this.spaces();
      if (this.peek() === ",") {
        this.pos++;
        this.wsnl();
        continue;
      }
      if (this.newlineOrComment()) {
        this.wsnl();
        continue;
      }
      this.pos = save;
      this.wsnl();
      if (this.peek() !== "}") throw new FatalParse(this.soft(["}"]));
    }
    this.pos++;
    return matchFn(subject, cases);
  }

  ifExpr(): Fn | null {
    const start = this.pos;
    if (!this.term("if") || !this.spaces()) {
      this.pos = start;
      return null;
    }
    const branches: { cond: Fn | null; body: Fn }[] = [];
    const block = (cond: Fn | null) => {
      this.wsnl();
      if (this.peek() !== "{") throw new FatalParse(this.soft(["{"]));
      this.pos++;
      this.wsnl();
      const body = this.query();
      if (!body) throw new FatalParse(this.soft(["query"]));
      this.wsnl();
      if (this.peek() !== "}") throw new FatalParse(this.soft(["}"]));
      this.pos++;
      branches.push({ cond, body });
    };
    const c = this.query();
    if (!c) throw new FatalParse(this.soft(["query"]));
    block(c);
    for (;;) {
      const save = this.pos;
      this.wsnl();
      if (this.term("else if")) {
        if (!this.spaces()) {
          this.pos = save;
          break;
        }
        const c2 = this.query();
        if (!c2) throw new FatalParse(this.soft(["query"]));
        block(c2);
        continue;
      }
      if (this.term("else")) {
        block(null);
        break;
      }
      this.pos = save;
      break;
    }
    return ifFn(branches);
  }

  lambdaExpr(): Fn | null {
    const start = this.pos;
    const name = this.word();
    if (!name || !this.spaces() || !this.term("->") || !this.spaces()) {
      this.pos = start;
      return null;
    }
    if (name !== "_") {
      if (this.named.includes(name))
        this.fatal(`context label \`${name}\` would shadow a parent context`, start);
      if (name === "root" || name === "this") this.fatal(`context label \`${name}\` is not allowed`, start);
    }
    const prevNamed = this.named;
    if (name !== "_") this.named = [...this.named, name];
    let body: Fn | null;
    try {
      body = this.query();
    } finally {
      this.named = prevNamed;
    }
    if (!body) throw new FatalParse(this.soft(["query"]));
    if (body.named !== undefined)
      this.fatal(
        `it would be in poor taste to capture the same context under both '${name}' and '${body.named}'`,
        start,
      );
    return namedContextFn(name, body);
  }

  bracketExpr(): Fn | null {
    if (this.peek() !== "(") return null;
    const start = this.pos;
    this.pos++;
    this.wsnl();
    const q = this.query();
    if (!q) {
      this.pos = start;
      return null;
    }
    this.wsnl();
    if (this.peek() !== ")") throw new FatalParse(this.soft(["closing bracket"]));
    this.pos++;
    return q;
  }

  literalExpr(): Fn | null {
    const start = this.pos;
    if (this.term("true")) return literal(true);
    if (this.term("false")) return literal(false);
    const c = this.peek();
    if ((c >= "0" && c <= "9") || (c === "-" && /[0-9]/.test(this.peek(1)))) return this.number();
    const t = this.tripleQuoted();
    if (t !== null) return literal(t);
    const q = this.quoted();
    if (q !== null) return literal(q);
    if (this.term("null")) return literal(null);
    if (c === "[") return this.arrayLit();
    if (c === "{") return this.objectLit();
    this.pos = start;
    return null;
  }

  number(): Fn {
    const start = this.pos;
    let neg = false;
    if (this.peek() === "-") {
      neg = true;
      this.pos++;
    }
    const ds = this.pos;
    while (/[0-9]/.test(this.peek())) this.pos++;
    let str = this.src.slice(ds, this.pos);
    if (this.peek() === "." && /[0-9]/.test(this.peek(1))) {
      this.pos++;
      const fs = this.pos;
      while (/[0-9]/.test(this.peek())) this.pos++;
      str += "." + this.src.slice(fs, this.pos);
      const f = Number(str);
      return literal(neg ? -f : f);
    }
    const n = BigInt(str);
    if (n > 9223372036854775807n)
      this.fatal(
        `failed to parse '${str}' as integer: strconv.ParseInt: parsing "${str}": value out of range`,
        start,
      );
    return literal(neg ? -n : n);
  }

  /**
   * The items of an array or object literal: from the opening bracket at `pos` to `close`,
   * separated by commas, newlines allowed. Null (position restored) when it is not one, so the
   * caller can try another reading; fatal parse errors propagate.
   */
  private literalItems<T>(close: string, item: () => T | null): T[] | null {
    const start = this.pos;
    this.pos++;
    this.wsnl();
    const items: T[] = [];
    try {
      while (this.peek() !== close) {
        const it = item();
        if (!it) {
          this.pos = start;
          return null;
        }
        items.push(it);
        const save = this.pos;
        this.spaces();
        if (this.peek() === ",") {
          this.pos++;
          this.wsnl();
          continue;
        }
        this.pos = save;
        this.wsnl();
        if (this.peek() !== close) {
          this.soft([close]);
          this.pos = start;
          return null;
        }
      }
    } catch (e) {
      if (e instanceof FatalParse && !e.fail.fatal) {
        this.pos = start;
        return null;
      }
      throw e;
    }
    this.pos++;
    return items;
  }

  arrayLit(): Fn | null {
    const items = this.literalItems("]", () => this.query());
    return items && arrayLiteral(items);
  }

  objectLit(): Fn | null {
    const start = this.pos;
    const entries = this.literalItems("}", (): [string | Fn, Fn] | null => {
      const key = this.quoted() ?? this.query();
      if (key === null) return null; // a quoted "" is a key
      this.spaces();
      if (this.peek() !== ":") {
        this.soft([":"]);
        return null;
      }
      this.pos++;
      this.wsnl();
      const value = this.query();
      return value && [key, value];
    });
    if (!entries) return null;
    for (const [k] of entries) {
      if (typeof k !== "string" && k.lit && typeof k.lit.value !== "string")
        this.fatal(`object keys must be strings, received: ${goTypeName(k.lit.value)}`, start);
    }
    return objectLiteral(entries);
  }

  functionExpr(): Fn | null {
    const start = this.pos;
    const name = this.snake();
    if (!name || this.peek() !== "(") {
      this.pos = start;
      return null;
    }
    const args = this.args();
    return this.orFatal(() => lookupFunction(name, args, this.named), this.pos);
  }

  metaRef(): Fn | null {
    if (this.peek() !== "@") return null;
    this.pos++;
    let key = this.word();
    if (!key) {
      const q = this.quoted();
      if (q !== null) key = q;
    }
    return metaFn(key);
  }

  varRef(): Fn | null {
    if (this.peek() !== "$") return null;
    const start = this.pos;
    this.pos++;
    const name = this.word();
    if (!name) {
      this.pos = start;
      return null;
    }
    return varFn(name);
  }

  fieldRoot(): Fn | null {
    const name = this.word();
    if (!name) return null;
    if (name === "this") return fieldFn("this", "", []);
    if (name === "root") return fieldFn("root", "", []);
    if (this.named.includes(name)) return fieldFn("named", name, []);
    return fieldFn("this", "", [name]);
  }

  // ---------- statements ----------
  lineOf(pos: number): number {
    let line = 1;
    for (let i = 0; i < pos && i < this.src.length; i++) if (this.src[i] === "\n") line++;
    return line;
  }

  /** mappingStatement: import | map | let | meta | assignment | root-level if */
  statement(topLevel: boolean, metaEnabled: boolean): Statement | null | "none" {
    const start = this.pos;
    if (topLevel) {
      if (this.importStmt()) return "none";
      if (this.mapStmt()) return "none";
    }
    return (
      this.letStmt() ??
      this.metaStmt(metaEnabled) ??
      this.assignStmt() ??
      this.ifStmt(metaEnabled) ??
      ((this.pos = start), null)
    );
  }

  importStmt(): boolean {
    const start = this.pos;
    if (!this.term("import")) {
      this.soft(["import"], start);
      return false;
    }
    if (!this.spaces()) {
      this.soft(["whitespace"], this.pos);
      this.pos = start;
      return false;
    }
    const path = this.quoted();
    if (path === null) throw new FatalParse(new ParseFail(this.pos, ["filepath"], "required"));
    if (!this.opts.importer) this.fatal("failed to read import: imports are not available", start);
    let content: string;
    try {
      content = this.opts.importer(resolveImport(this.opts.importBase, path));
    } catch (e) {
      this.fatal(`failed to read import: ${(e as Error).message}`, start);
    }
    const sub = new Parser(content, {}, { ...this.opts, importBase: relativeTo(this.opts.importBase, path) });
    let res: Statement[];
    try {
      res = sub.executor();
    } catch (e) {
      if (e instanceof FatalParse)
        this.fatal(`failed to parse import '${path}': ${sub.describe(e.fail)}`, start);
      throw e;
    }
    void res;
    const names = Object.keys(sub.maps);
    if (names.length === 0) this.fatal(`no maps to import from '${path}'`, start);
    const collisions: string[] = [];
    for (const k of names) {
      if (Object.hasOwn(this.maps, k)) collisions.push(k);
      else this.maps[k] = sub.maps[k];
    }
    if (collisions.length)
      this.fatal(`map name collisions from import '${path}': [${collisions.join(" ")}]`, start);
    return true;
  }

  mapStmt(): boolean {
    const start = this.pos;
    if (!this.term("map")) {
      this.soft(["map"], start);
      return false;
    }
    if (!this.spaces()) {
      this.soft(["whitespace"], this.pos);
      this.pos = start;
      return false;
    }
    let name = this.quoted();
    if (name === null) name = this.word();
    if (!name) throw new FatalParse(new ParseFail(this.pos, ["map name"], "required"));
    if (!this.spaces() || this.peek() !== "{") {
      this.pos = start;
      return false;
    }
    const stmts = this.block(false);
    if (Object.hasOwn(this.maps, name)) this.fatal(`map name collision: ${name}`, start);
    this.maps[name] = { name, statements: stmts };
    return true;
  }

  /** `{ statements }` separated by newlines. */
  block(metaEnabled: boolean): Statement[] {
    this.pos++; // {
    this.wsnl();
    const out: Statement[] = [];
    while (this.peek() !== "}") {
      this.furthest = null;
      const s = this.statement(false, metaEnabled);
      if (s === null) {
        this.soft(["}"], this.pos);
        throw new FatalParse(this.furthestOr(["assignment", "}"]));
      }
      if (s !== "none") out.push(s);
      this.spaces();
      if (this.peek() === "}") break;
      if (!this.newlineOrComment()) throw new FatalParse(this.soft(["line break", "}"]));
      this.wsnl();
    }
    this.pos++;
    return out;
  }

  letStmt(): Statement | null {
    const start = this.pos;
    if (!this.term("let")) return this.miss(["assignment"], start, start);
    if (!this.spaces()) return this.miss(["whitespace"], this.pos, start);
    let name = this.quoted();
    if (name === null) name = this.word();
    if (!name) throw new FatalParse(new ParseFail(this.pos, ["variable name"], "required"));
    if (!this.spaces()) return this.miss(["whitespace"], this.pos, start);
    if (!this.term("=")) return this.miss(["="], this.pos, start);
    if (!this.spaces()) return this.miss(["whitespace"], this.pos, start);
    const q = this.query();
    if (!q) {
      this.pos = start;
      return null;
    }
    return letStatement(name, q, this.lineOf(start));
  }

  metaStmt(enabled: boolean): Statement | null {
    const start = this.pos;
    if (!this.term("meta")) return this.miss(["assignment"], start, start);
    if (!this.spaces()) return this.miss(["whitespace"], this.pos, start);
    let key: string | null = this.quoted();
    if (key === null) {
      const w = this.word();
      key = w ? w : null;
    }
    this.spaces();
    if (!this.term("=")) return this.miss(["="], this.pos, start);
    if (!this.spaces()) return this.miss(["whitespace"], this.pos, start);
    const q = this.query();
    if (!q) {
      this.pos = start;
      return null;
    }
    if (!enabled) this.fatal("setting meta fields is not allowed within this block", start);
    return metaStatement(key, q, this.lineOf(start));
  }

  assignStmt(): Statement | null {
    const start = this.pos;
    const first = this.word();
    if (!first) return this.miss(["assignment"], start, start);
    const path = [first];
    if (this.peek() === ".") {
      this.pos++;
      for (;;) {
        const q = this.quoted();
        if (q !== null) path.push(q);
        else {
          const w = this.word();
          if (!w) return this.miss(["target path"], this.pos, start);
          path.push(w);
        }
        if (this.peek() !== ".") break;
        this.pos++;
      }
    }
    if (!this.spaces()) return this.miss(["whitespace"], this.pos, start);
    if (!this.term("=")) return this.miss(["="], this.pos, start);
    if (!this.spaces()) return this.miss(["whitespace"], this.pos, start);
    const q = this.query();
    if (!q) {
      this.pos = start;
      return null;
    }
    if (path[0] === "root") path.shift();
    return assignment(path, q, this.lineOf(start));
  }

  ifStmt(metaEnabled: boolean): Statement | null {
    const start = this.pos;
    if (!this.term("if")) return this.miss(["assignment"], start, start);
    if (!this.spaces()) return this.miss(["whitespace"], this.pos, start);
    const pairs: { cond: Fn | null; stmts: Statement[] }[] = [];
    const cond = this.query();
    if (!cond) throw new FatalParse(new ParseFail(this.pos, ["query"], "required"));
    this.wsnl();
    if (this.peek() !== "{") throw new FatalParse(this.soft(["{"]));
    pairs.push({ cond, stmts: this.block(metaEnabled) });
    for (;;) {
      const save = this.pos;
      this.wsnl();
      if (this.term("else if") && this.spaces()) {
        const c2 = this.query();
        if (!c2) throw new FatalParse(new ParseFail(this.pos, ["query"], "required"));
        this.wsnl();
        if (this.peek() !== "{") throw new FatalParse(this.soft(["{"]));
        pairs.push({ cond: c2, stmts: this.block(metaEnabled) });
        continue;
      }
      this.pos = save;
      this.wsnl();
      if (this.term("else")) {
        this.wsnl();
        if (this.peek() !== "{") throw new FatalParse(this.soft(["{"]));
        pairs.push({ cond: null, stmts: this.block(metaEnabled) });
        break;
      }
      this.pos = save;
      break;
    }
    return ifStatement(pairs, this.lineOf(start));
  }

  /** parseExecutor: statements separated by newlines. */
  executor(): Statement[] {
    const out: Statement[] = [];
    this.wsnl();
    this.furthest = null;
    const first = this.statement(true, true);
    if (first === null) throw new FatalParse(this.furthestOr(["import", "map", "assignment"]));
    if (first !== "none") out.push(first);
    for (;;) {
      this.spaces();
      if (this.eof()) break;
      if (!this.newlineOrComment()) throw new FatalParse(new ParseFail(this.pos, ["line break"]));
      this.wsnl();
      if (this.eof()) break;
      this.furthest = null;
      const s = this.statement(true, true);
      if (s === null) throw new FatalParse(this.furthestOr(["import", "map", "assignment"]));
      if (s !== "none") out.push(s);
    }
    return out;
  }

  furthestOr(expected: string[]): ParseFail {
    if (this.furthest && this.furthest.pos >= this.pos) return this.furthest;
    return new ParseFail(this.pos, expected);
  }

  describe(f: ParseFail): string {
    const [line, col] = lineCol(this.src, f.pos);
    let msg = f.err ?? "";
    if (f.expected.length) {
      const exp = [...new Set(f.expected)];
      let e: string;
      if (exp.length === 1) e = `expected ${exp[0]}`;
      else
        e =
          "expected " +
          exp.slice(0, -1).join(", ") +
          (exp.length > 2 ? "," : "") +
          " or " +
          exp[exp.length - 1];
      msg = msg ? `${msg}: ${e}` : e;
    }
    if (!msg)
      msg = f.pos >= this.src.length ? "encountered unexpected end of input" : "encountered unexpected input";
    return `line ${line} char ${col}: ${msg}`;
  }
}

/** filepath.Join(base, p) unless p is absolute. */
export function resolveImport(base: string | undefined, p: string): string {
  if (posix.isAbsolute(p)) return posix.normalize(p);
  return posix.join(base ?? ".", p);
}
/** The importer base for a file imported as `p` (Go's RelativeToFile). */
function relativeTo(base: string | undefined, p: string): string | undefined {
  const dir = posix.dirname(p);
  if (dir === "" || dir === ".") return base;
  if (posix.isAbsolute(dir)) return dir;
  return posix.join(base ?? ".", dir);
}

export function lineCol(src: string, pos: number): [number, number] {
  let line = 1;
  let col = 1;
  for (let i = 0; i < pos && i < src.length; i++) {
    if (src[i] === "\n") {
      line++;
      col = 1;
    } else col++;
  }
  return [line, col];
}

// ---------- compiled program ----------
export interface Program {
  statements: Statement[];
  maps: Record<string, MapDef>;
  src: string;
}

/** ParseMapping: `from "file"` | statements | a single bare query (shorthand for `root = …`). */
export function parseMapping(src: string, opts: ParserOpts = {}): Program {
  const maps: Record<string, MapDef> = {};
  // from "path"
  {
    const p = new Parser(src, maps, opts);
    p.wsnl();
    if (p.term("from") && p.spaces()) {
      const path = p.quoted();
      if (path !== null) {
        p.wsnl();
        if (!p.eof())
          throw new BloblangCompileError(
            p.describe(
              new ParseFail(0, [], `unexpected content after single root import: ${src.slice(p.pos)}`),
            ),
          );
        if (!opts.importer)
          throw new BloblangCompileError("line 1 char 1: failed to read import: imports are not available");
        let content: string;
        try {
          content = opts.importer(resolveImport(opts.importBase, path));
        } catch (e) {
          throw new BloblangCompileError(`line 1 char 1: failed to read import: ${(e as Error).message}`);
        }
        return parseMapping(content, { ...opts, importBase: relativeTo(opts.importBase, path) });
      }
    }
  }
  const p = new Parser(src, maps, opts);
  let execErr: ParseFail | null = null;
  try {
    const statements = p.executor();
    return { statements, maps, src };
  } catch (e) {
    if (!(e instanceof FatalParse)) throw e;
    if (e.fail.fatal) throw new BloblangCompileError(p.describe(e.fail));
    execErr = e.fail;
  }
  // single root query
  const p2 = new Parser(src, {}, opts);
  try {
    p2.wsnl();
    const q = p2.query();
    if (q) {
      const qEnd = p2.pos;
      p2.wsnl();
      if (p2.eof()) {
        return { statements: [assignment([], q, 1)], maps: {}, src };
      }
      let text = src.slice(0, qEnd).replace(/^[\s]+/, "");
      if (text.length > 12) text = text.slice(0, 12) + "...";
      const f = new ParseFail(p2.pos, [
        `the mapping to end here as the beginning is shorthand for \`root = ${text}\`, but this shorthand form cannot be followed with more assignments`,
      ]);
      if (f.pos > (execErr?.pos ?? -1)) throw new BloblangCompileError(p2.describe(f));
    }
  } catch (e) {
    if (!(e instanceof FatalParse)) throw e;
    if (e.fail.pos > (execErr?.pos ?? -1)) throw new BloblangCompileError(p2.describe(e.fail));
  }
  throw new BloblangCompileError(p.describe(execErr!));
}

/** A single query (for interpolations and tests). */
export function parseQuery(src: string): Fn {
  const p = new Parser(src, {});
  try {
    const q = p.query();
    if (!q) throw new FatalParse(p.furthestOr(["query"]));
    return q;
  } catch (e) {
    if (e instanceof FatalParse) throw new BloblangCompileError(p.describe(e.fail));
    throw e;
  }
}
