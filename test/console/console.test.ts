// The web console (CONTRACT.md §7) in a real browser: Debian's chromium driven by playwright-core,
// against the real local stack (the functions under serverless-offline, the bridge, the process
// executor running the built-in engine). What a user does: open /ui, enter the key, read the list,
// open a pipeline (graph, versions and diff, config, events), publish from the page, watch a change
// made with the CLI arrive, get a conflict refused, read lint errors, on a wide and a narrow window.
//
// Screenshots of the list and of a pipeline page are written to .reef/console-screenshots/, and to
// infra/docs/ (the README's) with REEF_UPDATE_SCREENSHOTS=1.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConsoleFiles, consoleSettingsFromEnv } from "../../lib/console/serve";
import { reef } from "../cli/helpers";
import { startStack, ROOT, type Stack } from "../e2e/harness";
import { waitFor } from "../helpers/nats";
import { demoApi, seedDemo } from "./demo";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const KEY = `console-key-${Math.random().toString(36).slice(2)}`;
const SHOTS = join(ROOT, ".reef/console-screenshots");
const DOCS = join(ROOT, "infra/docs");

const inCi = process.env.CI === "true" || process.env.CI === "1";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !inCi) {
  console.log(`skipping the console's browser tests: ${CHROMIUM} is missing (npm run setup installs it)`);
}

let stack: Stack;
let profile: string;
let context: BrowserContext;
let page: Page;
/** Console messages of type error, and uncaught page errors. */
const consoleErrors: string[] = [];
const consoleText: string[] = [];
const requestUrls: string[] = [];

async function shoot(name: string, fullPage = false): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, name);
  await page.screenshot({ path, fullPage });
  if (process.env.REEF_UPDATE_SCREENSHOTS === "1") {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(path, join(DOCS, name));
  }
}

async function definition(id: string): Promise<{ status: string; version?: string }> {
  const e = await stack.t.store.getDefinitionEntry(id);
  return JSON.parse(new TextDecoder().decode(e!.value)) as { status: string; version?: string };
}

async function cli(...args: string[]): Promise<void> {
  const r = await reef(args, { env: stack.env, timeoutMs: 60_000 });
  expect(r.code, `reef ${args.join(" ")}: ${r.stderr}`).toBe(0);
}

const row = (id: string) => page.locator(`tr[data-pipeline="${id}"]`);

describe.skipIf(!haveChromium && !inCi)("web console in chromium", () => {
  beforeAll(async () => {
    if (!haveChromium)
      throw new Error(`${CHROMIUM} is missing: infra/local/setup.sh installs Debian's chromium`);
    stack = await startStack({ REEF_API_KEY: KEY, REEF_ENGINE: "builtin" });
    // a publish whose executions are still starting when converge returns is finished by the next
    // reconcile: every 5 s here rather than every minute
    stack.startBridge({ REEF_RESYNC_INTERVAL: "5s" });
    await seedDemo(demoApi(stack.httpUrl, KEY));
    profile = mkdtempSync(join(tmpdir(), "reef-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => {
      consoleText.push(m.text());
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));
    page.on("request", (r) => requestUrls.push(r.url()));
  }, 240_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === "fail" && page) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({
        path: join(SHOTS, `failed-${ctx.task.name.slice(0, 40)}.png`),
        fullPage: true,
      });
    }
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await stack?.close();
  });

  it("serves the page without a key and asks for it", async () => {
    const res = await page.goto(`${stack.httpUrl}/ui`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.getByRole("heading", { name: "Connect to reef" }).waitFor();
    // the API itself still wants the key
    const api = await fetch(`${stack.httpUrl}/ui/api/pipelines`);
    expect(api.status).toBe(401);
  });

  it("refuses a wrong key and accepts the right one, with the keyboard only", async () => {
    // the key field has the focus
    await page.keyboard.type("not-the-key");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").filter({ hasText: "not accepted" }).waitFor();
    await page.keyboard.press("Control+A");
    await page.keyboard.type(KEY);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Pipelines" }).waitFor();
    expect(await page.evaluate("Object.keys(sessionStorage)")).toEqual(["reef.console.apiKey"]);
  });

  it("lists every pipeline with its status and phase, filters by phase, and updates by itself", async () => {
    for (const id of ["audit-log", "billing-export", "legacy-import", "orders-enrich"])
      await row(id).waitFor();
    await row("audit-log").locator('[data-col="phase"]', { hasText: "running" }).waitFor({ timeout: 60_000 });
    await row("billing-export").locator('[data-col="phase"]', { hasText: "stopped" }).waitFor();
    await row("orders-enrich").locator('[data-col="phase"]', { hasText: "absent" }).waitFor();
    await expect(row("orders-enrich").innerText()).resolves.toMatch(
      /Orders enrichment[\s\S]*draft[\s\S]*absent[\s\S]*2/,
    );

    // live health from the executions' heartbeats
    await row("audit-log")
      .locator('[data-col="health"]', { hasText: "healthy" })
      .waitFor({ timeout: 60_000 });

    await page.getByLabel("Phase").selectOption("running");
    await expect.poll(() => page.locator("tr[data-pipeline]").count()).toBe(1);
    expect(page.url()).toContain("phase=running");
    await page.getByLabel("Phase").selectOption("");
    await expect.poll(() => page.locator("tr[data-pipeline]").count()).toBe(4);
  }, 180_000);

  it("shows a pipeline: graph as SVG, versions with a rendered diff, config, events with the chain verification", async () => {
    await page.getByRole("link", { name: "orders-enrich" }).click();
    await page.getByRole("heading", { name: "orders-enrich", level: 1 }).waitFor();
    // mermaid drew the flowchart of the current version
    const svg = page.locator(".graph svg");
    await svg.waitFor({ timeout: 30_000 });
    await expect(svg.innerHTML()).resolves.toContain("switch");
    // versions, and the diff 1 → 2 rendered by diff2html
    await page.locator('tr[data-version="1"]').waitFor();
    const diff = page.locator(".d2h-file-wrapper");
    await diff.waitFor();
    await expect(diff.locator(".d2h-ins").first().innerText()).resolves.toBeTruthy();
    await expect(diff.innerText()).resolves.toContain("this.total > 250");
    // the config of the shown version
    await expect(page.getByLabel("config of version 2").innerText()).resolves.toContain('root.tier = "gold"');
    // viewing version 1 switches config and graph
    await page.getByRole("button", { name: "View version 1" }).click();
    await expect.poll(() => page.getByLabel("config of version 1").innerText()).not.toContain("tier");
    await page.getByRole("button", { name: "View version 2" }).click();
    // events with the hash chain's verification
    await page.locator('[data-chain="ok"]').waitFor();
  });

  it("publishes from the page (keyboard), showing progress until the status reflects it", async () => {
    const publish = page.getByRole("button", { name: "Publish", exact: true });
    await publish.focus();
    await page.keyboard.press("Enter");
    await page.getByRole("status").filter({ hasText: "waiting for the control plane" }).waitFor();
    await page
      .locator('[data-notice="done"]')
      .filter({ hasText: "Published: phase running" })
      .waitFor({ timeout: 90_000 });
    expect(await definition("orders-enrich")).toMatchObject({ status: "published", version: "2" });
    await page.locator('[data-field="phase"]', { hasText: "running" }).waitFor();
    // the bridge recorded the change (it started version 2); the events panel shows it without a reload
    await page
      .locator("table[aria-label='recent events'] td", { hasText: "start orders-enrich#0 v2" })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.locator('[data-chain="ok"]').waitFor();
    await shoot("console-pipeline.png", true);
  }, 180_000);

  it("shows a change made with the CLI without a reload", async () => {
    await page.getByRole("link", { name: "← All pipelines" }).click();
    await row("orders-enrich").locator('[data-col="phase"]', { hasText: "running" }).waitFor();
    await page.evaluate("window.notReloaded = true");
    // health and rates arrive from the executions' heartbeats (2 orders a second)
    const cell = (id: string, col: string) => row(id).locator(`[data-col="${col}"]`).innerText();
    await expect.poll(() => cell("orders-enrich", "health"), { timeout: 60_000 }).toBe("healthy");
    await expect
      .poll(async () => Number(await cell("orders-enrich", "in")), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(async () => Number(await cell("orders-enrich", "out")), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await expect(cell("orders-enrich", "errors")).resolves.toBe("0.0");
    await shoot("console-list.png");
    await cli("pause", "orders-enrich");
    await row("orders-enrich")
      .locator('[data-col="phase"]', { hasText: "stopped" })
      .waitFor({ timeout: 30_000 });
    await expect(row("orders-enrich").innerText()).resolves.toContain("paused");
    // nothing runs: health unknown, and no rate rather than a made-up 0
    await expect.poll(() => cell("orders-enrich", "health"), { timeout: 30_000 }).toBe("unknown");
    await expect(cell("orders-enrich", "in")).resolves.toBe("—");
    expect(await page.evaluate("window.notReloaded")).toBe(true);
  });

  it("shows each replica's heartbeat and the log tail, new lines arriving by themselves", async () => {
    await page.getByRole("link", { name: "audit-log" }).click();
    await page.getByRole("heading", { name: "audit-log", level: 1 }).waitFor();
    const replicas = page.getByRole("table", { name: "replicas" });
    await replicas
      .locator("td", { hasText: /\d+s ago/ })
      .first()
      .waitFor({ timeout: 30_000 });
    const logs = page.getByLabel("log lines, newest last");
    await logs.locator(".log", { hasText: "audit u" }).first().waitFor({ timeout: 30_000 });
    // new lines arrive by themselves, at the bottom, in order
    const users = async () =>
      (await logs.locator(".log", { hasText: "audit u" }).allInnerTexts()).map((t) =>
        Number(/audit u(\d+)/.exec(t)![1]),
      );
    const before = await users();
    await expect
      .poll(async () => (await users()).at(-1), { timeout: 30_000 })
      .toBeGreaterThan(before.at(-1)!);
    const after = await users();
    expect(after).toEqual([...after].sort((a, b) => a - b));
    await expect(logs.innerText()).resolves.toMatch(/\[0\] INFO .*audit u\d+/i);
    // one replica's lines only; a replica with none says so
    await page.getByLabel("Lines of replica").selectOption("0");
    await logs.locator(".log", { hasText: "audit u" }).first().waitFor({ timeout: 30_000 });
    // a pipeline that never ran has no line, and says so
    await page.goto(`${stack.httpUrl}/ui#/pipelines/billing-export`);
    await page.getByRole("heading", { name: "billing-export", level: 1 }).waitFor();
    await page.locator('[data-empty="logs"]', { hasText: "No log line stored" }).waitFor({ timeout: 30_000 });
    await page.getByRole("link", { name: "← All pipelines" }).click();
  });

  it("refuses an action on a revision that changed meanwhile, says so, and overwrites nothing", async () => {
    await page.getByRole("link", { name: "orders-enrich" }).click();
    await page.getByRole("heading", { name: "orders-enrich", level: 1 }).waitFor();
    const shown = await page.locator(".revision").innerText();
    // From now on the page's view stays as loaded (its polls answer with this copy): the page shows
    // an old revision while someone else changes the pipeline.
    let frozen: string | null = null;
    await page.route(`${stack.httpUrl}/ui/api/pipelines/orders-enrich`, async (route) => {
      if (route.request().method() !== "GET") return route.continue();
      if (frozen === null) {
        const res = await route.fetch();
        frozen = await res.text();
        return route.fulfill({ response: res, body: frozen });
      }
      return route.fulfill({ status: 200, contentType: "application/json", body: frozen });
    });
    await waitFor(() => frozen !== null, "the page's next poll");
    await cli("publish", "orders-enrich");
    expect((await definition("orders-enrich")).status).toBe("published");

    await page.getByRole("button", { name: "Draft", exact: true }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Move to draft" }).click();
    const alert = page.locator('[data-notice="conflict"]');
    await alert.waitFor();
    await expect(alert.innerText()).resolves.toMatch(
      /changed since you loaded it[\s\S]*Nothing was overwritten/,
    );
    expect((await definition("orders-enrich")).status).toBe("published"); // not overwritten

    await page.unroute(`${stack.httpUrl}/ui/api/pipelines/orders-enrich`);
    await alert.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => page.locator(".revision").innerText()).not.toBe(shown);
    await expect(page.locator('[data-notice="conflict"]').count()).resolves.toBe(0);
    await expect(page.getByRole("button", { name: "Publish", exact: true }).isDisabled()).resolves.toBe(true);
  });

  it("runs lint before publishing and shows its errors, as the CLI does", async () => {
    await page.goto(`${stack.httpUrl}/ui#/pipelines/legacy-import`);
    await page.getByRole("heading", { name: "legacy-import", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Publish", exact: true }).click();
    const lint = page.locator('[data-notice="lint"]');
    await lint.waitFor();
    await expect(lint.innerText()).resolves.toMatch(/1 lint error[\s\S]*2:3[\s\S]*kafka_franz_nope/);
    await expect(lint.getByRole("button", { name: "Publish anyway" }).isVisible()).resolves.toBe(true);
    expect((await definition("legacy-import")).status).toBe("draft");
  });

  it("rolls back and pauses from the page, each confirmed and shown until the status reflects it", async () => {
    await page.goto(`${stack.httpUrl}/ui#/pipelines/orders-enrich`);
    await page.getByRole("heading", { name: "orders-enrich", level: 1 }).waitFor();
    await page.locator('[data-field="phase"]', { hasText: "running" }).waitFor({ timeout: 60_000 });
    await page.getByRole("button", { name: "Roll back", exact: true }).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog.innerText()).resolves.toMatch(/previous version replaces version 2/i);
    await dialog.getByRole("button", { name: "Roll back" }).click();
    await page
      .locator('[data-notice="done"]')
      .filter({ hasText: "Switched version: phase running, version 1" })
      .waitFor({ timeout: 90_000 });
    expect(await definition("orders-enrich")).toMatchObject({ status: "published", version: "1" });
    // the page now shows version 1: its config and graph
    await expect
      .poll(() => page.getByLabel("config of version 1").innerText(), { timeout: 30_000 })
      .not.toContain("tier");
    await page.getByRole("button", { name: "Pause", exact: true }).click();
    await page
      .locator('[data-notice="done"]')
      .filter({ hasText: "Paused: phase stopped" })
      .waitFor({ timeout: 90_000 });
    expect((await definition("orders-enrich")).status).toBe("paused");
  }, 240_000);

  it("says when the API stops answering, keeps the last data, and recovers by itself", async () => {
    await page.goto(`${stack.httpUrl}/ui#/`);
    await row("audit-log").waitFor();
    // the gateway's own answer, as API Gateway gives it when the function is throttled
    const down = `${stack.httpUrl}/ui/api/pipelines`;
    await page.route(down, (route) =>
      route.fulfill({
        status: 503,
        contentType: "application/json",
        body: '{"message":"Service Unavailable"}',
      }),
    );
    await page.getByRole("status").filter({ hasText: "not updating: HTTP 503 — retrying" }).waitFor();
    await expect(row("audit-log").isVisible()).resolves.toBe(true);
    await page.unroute(down);
    await page
      .getByRole("status")
      .filter({ hasText: /live · updated \d+s ago/ })
      .waitFor({ timeout: 30_000 });
  });

  it("has no accessibility violations axe can find (WCAG 2 A and AA) on the list and a pipeline", async () => {
    for (const hash of ["#/", "#/pipelines/audit-log"]) {
      await page.goto(`${stack.httpUrl}/ui${hash}`);
      await page.locator("#page-title").waitFor();
      if (hash !== "#/") {
        await page.locator(".graph svg").waitFor({ timeout: 30_000 });
        await page.getByLabel("log lines, newest last").locator(".log").first().waitFor({ timeout: 30_000 });
      } else {
        await row("audit-log").waitFor();
      }
      const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
      expect(
        violations.map((v) => ({ page: hash, rule: v.id, nodes: v.nodes.map((n) => n.target.join(" ")) })),
      ).toEqual([]);
    }
  });

  it("is readable in a narrow window (no sideways scrolling of the page)", async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    try {
      for (const hash of ["#/", "#/pipelines/orders-enrich"]) {
        await page.goto(`${stack.httpUrl}/ui${hash}`);
        await page.locator("#page-title").waitFor();
        if (hash !== "#/") await page.locator(".graph svg").waitFor({ timeout: 30_000 });
        await expect(page.evaluate("document.documentElement.scrollWidth")).resolves.toBeLessThanOrEqual(390);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("signs in with OpenID Connect where the AWS authorizer guards the API, and sends the token", async () => {
    // The page and its settings as the api serves them in AWS (lib/console with the stack's OIDC
    // settings); the issuer is played by the test (no network here); the API is the real one.
    const IDP = "https://idp.reef.test/pool";
    const files = new ConsoleFiles(
      join(ROOT, "dist/console"),
      consoleSettingsFromEnv(
        { REEF_CONSOLE_OIDC_ISSUER: IDP, REEF_CONSOLE_OIDC_CLIENT_ID: "reef-console" },
        "authorizer",
        "x-api-key",
      ),
    );
    const tab = await context.newPage();
    tab.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(`oidc tab: ${m.text()}`);
    });
    tab.on("pageerror", (e) => consoleErrors.push(`oidc tab uncaught: ${e.message}`));
    await tab.route(
      (url) => url.origin === stack.httpUrl && (url.pathname === "/ui" || url.pathname === "/ui/config.json"),
      async (route) => {
        const r = (await files.respond(new URL(route.request().url()).pathname))!;
        await route.fulfill({ status: r.statusCode, headers: r.headers, body: r.body });
      },
    );
    const cors = { "access-control-allow-origin": "*" };
    let authorize: URL | undefined;
    let tokenRequest = "";
    const jwt = (claims: object) =>
      ['{"alg":"none"}', JSON.stringify(claims)].map((p) => Buffer.from(p).toString("base64url")).join(".") +
      ".";
    await tab.route(`${IDP}/**`, async (route) => {
      const url = new URL(route.request().url());
      if (url.pathname.endsWith("/.well-known/openid-configuration")) {
        return route.fulfill({
          headers: cors,
          json: {
            issuer: IDP,
            authorization_endpoint: `${IDP}/authorize`,
            token_endpoint: `${IDP}/token`,
            jwks_uri: `${IDP}/jwks`,
            response_types_supported: ["code"],
          },
        });
      }
      if (url.pathname.endsWith("/authorize")) {
        authorize = url;
        // the issuer's sign-in page, done: back to the console with a code (a new navigation,
        // so that the console's page is routed again; a route's redirects are not)
        const back = `${stack.httpUrl}/ui?code=the-code&state=${url.searchParams.get("state")}`;
        return route.fulfill({
          contentType: "text/html",
          body: `<meta http-equiv="refresh" content="0;url=${back}">`,
        });
      }
      if (url.pathname.endsWith("/token")) {
        tokenRequest = route.request().postData() ?? "";
        return route.fulfill({
          headers: cors,
          json: {
            access_token: "access-1",
            id_token: jwt({ iss: IDP, aud: "reef-console", sub: "u-1", email: "ada@example.com" }),
            token_type: "Bearer",
            expires_in: 3600,
          },
        });
      }
      return route.fulfill({ status: 404, headers: cors, body: "" });
    });
    // the API as API Gateway would pass it on after the JWT authorizer (here: the local key)
    const bearers: string[] = [];
    await tab.route(`${stack.httpUrl}/ui/api/**`, async (route) => {
      const headers = route.request().headers();
      bearers.push(headers.authorization ?? "none");
      await route.continue({ headers: { ...headers, "x-api-key": KEY } });
    });

    await tab.goto(`${stack.httpUrl}/ui#/pipelines/orders-enrich`);
    await tab.getByRole("button", { name: "Sign in" }).click();
    await tab.getByRole("heading", { name: "orders-enrich", level: 1 }).waitFor({ timeout: 30_000 });
    expect(authorize?.searchParams.get("response_type")).toBe("code");
    expect(authorize?.searchParams.get("client_id")).toBe("reef-console");
    expect(authorize?.searchParams.get("redirect_uri")).toBe(`${stack.httpUrl}/ui`);
    expect(authorize?.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize?.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(new URLSearchParams(tokenRequest).get("code")).toBe("the-code");
    expect(new URLSearchParams(tokenRequest).get("code_verifier")).toBeTruthy();
    // the single-use code is out of the address; the page is the one asked for
    expect(new URL(tab.url()).search).toBe("");
    expect(new URL(tab.url()).hash).toBe("#/pipelines/orders-enrich");
    await tab.getByText("ada@example.com").waitFor();
    expect(bearers.length).toBeGreaterThan(0);
    expect(new Set(bearers)).toEqual(new Set(["Bearer access-1"]));
    await tab.close();
  });

  it("shows a job's runs: one started through the API appears, then ends succeeded with exit code 0", async () => {
    const api = demoApi(stack.httpUrl, KEY);
    const job =
      "input:\n  stdin: {}\npipeline:\n  processors:\n    - mapping: root = content().uppercase()\noutput:\n  drop: {}\n";
    const created = await api("POST", "/pipelines", {
      id: "nightly-summary",
      name: "Nightly summary",
      config: job,
      status: "published",
      mode: "job",
    });
    expect(created.status, await created.clone().text()).toBe(201);
    await page.goto(`${stack.httpUrl}/ui/#/pipelines/nightly-summary`);
    await page.getByRole("heading", { name: "nightly-summary", level: 1 }).waitFor();
    await page.locator('[data-empty="runs"]').waitFor({ timeout: 30_000 });
    const triggered = await api("POST", "/pipelines/nightly-summary/trigger", { payload: "a\nb\n" });
    expect(triggered.status).toBe(202);
    const { run } = (await triggered.json()) as { run: string };
    // the run arrives without a reload, and its end is observed (the bridge converges the job again)
    const runRow = page.locator(`table[aria-label="runs"] tr[data-run="${run}"]`);
    await runRow.waitFor({ timeout: 30_000 });
    await expect(runRow.innerText()).resolves.toContain("manual");
    await expect.poll(() => runRow.innerText(), { timeout: 90_000 }).toMatch(/succeeded\s+0/);
    await shoot("console-job-runs.png", true);
    await page.getByRole("link", { name: "← All pipelines" }).click();
  }, 180_000);

  it("never puts the key in an address, the log or lasting storage", async () => {
    expect(requestUrls.length).toBeGreaterThan(10);
    expect(requestUrls.filter((u) => u.includes(KEY))).toEqual([]);
    expect(consoleText.filter((t) => t.includes(KEY))).toEqual([]);
    expect(await page.evaluate("JSON.stringify(localStorage)")).not.toContain(KEY);
    expect(await page.content()).not.toContain(KEY);
  });

  it("logged no error besides the refused key (401), the refused conflict (412), the refused lint (422) and the gateway's 503", () => {
    const expected = /Failed to load resource: the server responded with a status of (401|412|422|503)/;
    expect(consoleErrors.filter((e) => !expected.test(e))).toEqual([]);
  });
});
