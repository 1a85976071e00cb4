// Demo pipelines for the console's browser test (and its README screenshots), created through the
// HTTP API as a user would.

export const ORDERS_V1 = `input:
  generate:
    interval: 500ms
    mapping: 'root = {"id": count("orders"), "total": count("totals") % 500}'
pipeline:
  processors:
    - mapping: 'root = this.merge({"currency": "EUR"})'
output:
  drop: {}
`;

export const ORDERS_V2 = `input:
  generate:
    interval: 500ms
    mapping: 'root = {"id": count("orders"), "total": count("totals") % 500}'
pipeline:
  processors:
    - mapping: 'root = this.merge({"currency": "EUR"})'
    - switch:
        - check: this.total > 250
          processors:
            - mutation: 'root.tier = "gold"'
        - processors:
            - mutation: 'root.tier = "standard"'
    - log:
        level: INFO
        message: 'order \${! json("id") } is \${! json("tier") }'
output:
  switch:
    cases:
      - check: this.tier == "gold"
        output:
          label: priority
          drop: {}
      - output:
          label: bulk
          drop: {}
`;

export const AUDIT = `input:
  generate:
    interval: 1s
    mapping: 'root = {"event": "login", "user": "u" + count("users").string()}'
pipeline:
  processors:
    - log:
        level: INFO
        message: 'audit \${! json("user") }'
output:
  drop: {}
`;

/** Lint fails: an input no engine knows. */
export const LINT_BAD = `input:
  kafka_franz_nope:
    topics: [orders]
output:
  drop: {}
`;

export interface DemoApi {
  (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
}

export function demoApi(base: string, key: string): DemoApi {
  return (method, path, body, headers = {}) =>
    fetch(base + path, {
      method,
      headers: {
        "x-api-key": key,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
}

async function must(res: Promise<Response>): Promise<void> {
  const r = await res;
  if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
}

/** orders-enrich (2 versions, draft), audit-log (published), billing-export (paused), legacy-import (lint fails). */
export async function seedDemo(api: DemoApi): Promise<void> {
  await must(
    api("POST", "/pipelines", {
      id: "orders-enrich",
      name: "Orders enrichment",
      description: "Tags every order with its currency and tier.",
      labels: { team: "payments" },
      config: ORDERS_V1,
    }),
  );
  await must(api("PUT", "/pipelines/orders-enrich", { config: ORDERS_V2 }));
  await must(
    api("POST", "/pipelines", {
      id: "audit-log",
      name: "Audit trail",
      labels: { team: "security" },
      config: AUDIT,
    }),
  );
  await must(api("POST", "/pipelines/audit-log/publish"));
  await must(api("POST", "/pipelines", { id: "billing-export", name: "Billing export", config: ORDERS_V1 }));
  await must(api("POST", "/pipelines/billing-export/pause"));
  await must(api("POST", "/pipelines", { id: "legacy-import", name: "Legacy importer", config: LINT_BAD }));
}
