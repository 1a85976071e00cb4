// The reef web console (CONTRACT.md §7), served by the api function at /ui. It only talks to the
// HTTP API: the settings at /ui/config.json say where it is and how to authenticate.
import "diff2html/bundles/css/diff2html.min.css";
import "./styles.css";
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { ApiError } from "./api";
import { Api } from "./api";
import {
  forgetApiKey,
  oidcSignIn,
  oidcSignOut,
  oidcUser,
  storeApiKey,
  storedApiKey,
  type OidcAuth,
} from "./auth";
import { useRoute } from "./hooks";
import { PipelineList } from "./List";
import { PipelinePage } from "./Pipeline";
import type { ConsoleSettings, Features } from "./types";

interface Session {
  headers: Record<string, string>;
  /** Shown in the header: how this tab is signed in. */
  label: string;
}

async function loadSettings(): Promise<ConsoleSettings> {
  const res = await fetch("/ui/config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`the console's settings did not load (HTTP ${res.status})`);
  return (await res.json()) as ConsoleSettings;
}

/** The session this tab already has, if any (a stored key, or an OIDC user / sign-in redirect). */
async function existingSession(settings: ConsoleSettings): Promise<Session | null> {
  const auth = settings.auth;
  if (auth.mode === "none") return { headers: {}, label: "" };
  if (auth.mode === "unavailable") return null;
  if (auth.mode === "api-key") {
    const key = storedApiKey();
    return key ? { headers: { [auth.header]: key }, label: "API key" } : null;
  }
  const user = await oidcUser(auth);
  return user
    ? {
        headers: { authorization: `Bearer ${user.access_token}` },
        label: String(user.profile.email ?? user.profile.sub),
      }
    : null;
}

function App() {
  const [settings, setSettings] = useState<ConsoleSettings | null>(null);
  const [bootError, setBootError] = useState<string | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [checked, setChecked] = useState(false);
  const [authProblem, setAuthProblem] = useState<string | null>(null);

  useEffect(() => {
    loadSettings()
      .then(async (s) => {
        setSettings(s);
        setSession(await existingSession(s));
        setChecked(true);
      })
      .catch((err: Error) => setBootError(err.message));
  }, []);

  const api = useMemo(
    () =>
      settings && session
        ? new Api({
            base: settings.apiBase,
            credentials: async () => session.headers,
            onUnauthorized: () => {
              if (settings.auth.mode === "api-key") forgetApiKey();
              if (settings.auth.mode === "oidc") void oidcSignOut(settings.auth);
              setAuthProblem(
                settings.auth.mode === "oidc"
                  ? "Your sign-in has expired or is not accepted. Sign in again."
                  : "The API key is no longer accepted. Enter it again.",
              );
              setSession(null);
            },
          })
        : null,
    [settings, session],
  );

  const signOut = () => {
    if (settings?.auth.mode === "api-key") forgetApiKey();
    if (settings?.auth.mode === "oidc") void oidcSignOut(settings.auth);
    setAuthProblem(null);
    setSession(null);
  };

  let body;
  if (bootError) body = <p class="error">{bootError}</p>;
  else if (!settings || !checked) body = <p class="dim">Loading…</p>;
  else if (!session || !api) {
    body =
      settings.auth.mode === "oidc" ? (
        <SignIn auth={settings.auth} problem={authProblem} />
      ) : settings.auth.mode === "unavailable" ? (
        <p class="notice notice-bad" role="alert">
          The console cannot sign in here: {settings.auth.reason}
        </p>
      ) : settings.auth.mode === "api-key" ? (
        <KeyForm
          settings={settings}
          problem={authProblem}
          onSession={(s) => {
            setAuthProblem(null);
            setSession(s);
          }}
        />
      ) : null;
  } else body = <Pages api={api} />;

  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <a href="#/" class="brand">
          reef <span class="dim">console</span>
        </a>
        {session && settings?.auth.mode !== "none" && (
          <span class="who">
            {session.label && <span class="dim">{session.label}</span>}
            <button type="button" class="link" onClick={signOut}>
              {settings?.auth.mode === "api-key" ? "Forget key" : "Sign out"}
            </button>
          </span>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}

function Pages({ api }: { api: Api }) {
  const route = useRoute();
  const [features, setFeatures] = useState<Features>({ health: false, logs: false });
  useEffect(() => {
    api.features().then(setFeatures, () => undefined); // without the document: the lifecycle only
  }, [api]);
  const key = route.page === "pipeline" ? `p:${route.id}` : "list";
  useEffect(() => {
    document.title = route.page === "pipeline" ? `${route.id} · reef` : "Pipelines · reef";
    document.getElementById("page-title")?.focus({ preventScroll: true });
  }, [key]);
  return route.page === "pipeline" ? (
    <PipelinePage key={key} api={api} id={route.id} features={features} />
  ) : (
    <PipelineList api={api} query={route.query} />
  );
}

function KeyForm({
  settings,
  problem,
  onSession,
}: {
  settings: ConsoleSettings;
  problem: string | null;
  onSession: (s: Session) => void;
}) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const header = settings.auth.mode === "api-key" ? settings.auth.header : "x-api-key";

  const submit = async (e: Event) => {
    e.preventDefault();
    const value = key.trim();
    if (!value) return;
    setChecking(true);
    setError(null);
    const probe = new Api({
      base: settings.apiBase,
      credentials: async () => ({ [header]: value }),
      onUnauthorized: () => undefined,
    });
    try {
      await probe.list();
      storeApiKey(value);
      onSession({ headers: { [header]: value }, label: "API key" });
    } catch (err) {
      const e = err as ApiError;
      setError(e.status === 401 ? "This key is not accepted." : e.message);
    } finally {
      setChecking(false);
    }
  };

  return (
    <form class="signin" onSubmit={submit} aria-labelledby="signin-title">
      <h1 id="signin-title">Connect to reef</h1>
      {problem && (
        <p class="notice notice-bad" role="alert">
          {problem}
        </p>
      )}
      <p>
        Enter the API key. <code>npm start</code> prints it (it is kept in <code>.reef/api-key</code>). This
        tab keeps it until it is closed.
      </p>
      <label for="api-key">API key</label>
      <input
        id="api-key"
        type="password"
        autocomplete="off"
        spellcheck={false}
        autofocus
        value={key}
        onInput={(e) => setKey(e.currentTarget.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? "api-key-error" : undefined}
      />
      {error && (
        <p id="api-key-error" class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="primary" disabled={checking || !key.trim()}>
        {checking ? "Checking…" : "Connect"}
      </button>
    </form>
  );
}

function SignIn({ auth, problem }: { auth: OidcAuth; problem: string | null }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <div class="signin">
      <h1>Sign in to reef</h1>
      {problem && (
        <p class="notice notice-bad" role="alert">
          {problem}
        </p>
      )}
      <p>The console signs you in with {new URL(auth.authority).host}.</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button
        type="button"
        class="primary"
        autofocus
        onClick={() => oidcSignIn(auth).catch((err: Error) => setError(err.message))}
      >
        Sign in
      </button>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
