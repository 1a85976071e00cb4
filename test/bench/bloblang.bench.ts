// Bloblang mapping throughput: a realistic 10-line mapping over 100k documents, measured against a
// hand-written JavaScript function doing the same transformation, in the same run. Reports, never asserts.
import { performance } from "node:perf_hooks";
import { compile, parseJson, toJson } from "../../lib/bloblang";

const N = 100_000;

const MAPPING = `
root.id = this.order_id.string()
root.customer = this.customer.first_name.capitalize() + " " + this.customer.last_name.uppercase()
root.email = this.customer.email.lowercase().trim()
root.total = this.items.map_each(i -> i.price * i.qty).sum()
root.item_count = this.items.length()
root.skus = this.items.map_each(i -> i.sku).sort()
root.priority = if this.total_hint > 100 { "high" } else { "normal" }
root.country = this.address.country.or("unknown")
root.tags = this.tags.filter(t -> t != "internal")
meta kind = "order"
`;

interface Doc {
  order_id: number;
  customer: { first_name: string; last_name: string; email: string };
  items: { sku: string; price: number; qty: number }[];
  total_hint: number;
  address: { country?: string; city: string };
  tags: string[];
}

function makeDoc(i: number): Doc {
  return {
    order_id: 100000 + i,
    customer: { first_name: "ada", last_name: "lovelace", email: `  Ada.${i}@Example.COM ` },
    items: [
      { sku: `SKU-${i % 7}`, price: 12.5, qty: 2 },
      { sku: `SKU-${i % 3}`, price: 99.99, qty: 1 },
      { sku: `SKU-${i % 5}`, price: 5, qty: 10 },
    ],
    total_hint: i % 200,
    address: i % 4 === 0 ? { city: "Paris" } : { country: "FR", city: "Paris" },
    tags: ["web", i % 2 ? "internal" : "promo", "eu"],
  };
}

function handWritten(d: Doc, meta: Record<string, unknown>): Record<string, unknown> {
  const cap = (s: string) => s.replace(/(^|\s)(\S)/g, (_m, a: string, b: string) => a + b.toUpperCase());
  const out: Record<string, unknown> = {};
  out.id = String(d.order_id);
  out.customer = cap(d.customer.first_name) + " " + d.customer.last_name.toUpperCase();
  out.email = d.customer.email.toLowerCase().trim();
  out.total = d.items.map((i) => i.price * i.qty).reduce((a, b) => a + b, 0);
  out.item_count = d.items.length;
  out.skus = d.items.map((i) => i.sku).sort();
  out.priority = d.total_hint > 100 ? "high" : "normal";
  out.country = d.address.country ?? "unknown";
  out.tags = d.tags.filter((t) => t !== "internal");
  meta.kind = "order";
  return out;
}

const ROUNDS = 3;

/** Best-of-ROUNDS wall time for one pass over N documents (rounds are interleaved by the caller). */
function measure(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function report(label: string, ms: number): number {
  const ops = N / (ms / 1000);
  console.log(
    `${label.padEnd(44)} ${ms.toFixed(0).padStart(7)} ms  ${Math.round(ops).toLocaleString("en-US").padStart(12)} docs/s`,
  );
  return ops;
}

export default async function bench(): Promise<void> {
  const texts = Array.from({ length: N }, (_, i) => JSON.stringify(makeDoc(i)));
  const values = texts.map((t) => parseJson(t));
  const plains = texts.map((t) => JSON.parse(t) as Doc);
  const mapping = compile(MAPPING);

  // sanity: both produce the same document
  const a = toJson(mapping.exec({ value: values[1] }).value);
  const b = toJson(parseJson(JSON.stringify(handWritten(plains[1], {}))));
  if (a !== b) console.log(`WARNING: outputs differ\n  bloblang: ${a}\n  js:       ${b}`);

  for (let i = 0; i < 10_000; i++) {
    mapping.exec({ value: values[i] });
    handWritten(plains[i], {});
  }

  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const bytes = texts.map((t) => enc.encode(t));
  const subjects: [string, () => void][] = [
    [
      "bloblang exec (structured in → value out)",
      () => {
        for (let i = 0; i < N; i++) mapping.exec({ value: values[i] });
      },
    ],
    [
      "hand-written JS (objects in → object out)",
      () => {
        for (let i = 0; i < N; i++) handWritten(plains[i], {});
      },
    ],
    [
      "bloblang bytes in → JSON out",
      () => {
        for (let i = 0; i < N; i++) toJson(mapping.exec({ content: bytes[i] }).value);
      },
    ],
    [
      "hand-written JS bytes in → JSON out",
      () => {
        for (let i = 0; i < N; i++) JSON.stringify(handWritten(JSON.parse(dec.decode(bytes[i])) as Doc, {}));
      },
    ],
  ];
  const best = subjects.map(() => Infinity);
  for (let r = 0; r < ROUNDS; r++)
    subjects.forEach(([, fn], i) => (best[i] = Math.min(best[i], measure(fn))));

  console.log(
    `mapping: ${MAPPING.trim().split("\n").length} lines, ${N.toLocaleString("en-US")} documents, best of ${ROUNDS} rounds`,
  );
  const [blob, js, blobBytes, jsBytes] = subjects.map(([label], i) => report(label, best[i]));
  console.log(`ratio (JS / bloblang), structured: ${(js / blob).toFixed(2)}x slower  (goal ≤ 2x, issue #19)`);
  console.log(`ratio (JS / bloblang), bytes→JSON: ${(jsBytes / blobBytes).toFixed(2)}x slower`);
}
