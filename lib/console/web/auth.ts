// How the page authenticates its API calls (settings.auth, from /ui/config.json):
// - api-key: asked once, kept in this tab's sessionStorage (gone when the tab closes), sent as a header;
// - oidc: OpenID Connect authorization code + PKCE (oidc-client-ts, loaded only in this mode), the
//   access token sent as a bearer token (in AWS the HTTP API's JWT authorizer checks it);
// - none: the API checks nothing (REEF_API_KEY empty).
// Nothing of it ever goes into a URL or the console log.
import type { User, UserManager } from "oidc-client-ts";
import type { ConsoleAuth } from "./types";

const KEY_ITEM = "reef.console.apiKey";

export function storedApiKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_ITEM);
  } catch {
    return null; // storage disabled: asked again on every load
  }
}

export function storeApiKey(key: string): void {
  try {
    sessionStorage.setItem(KEY_ITEM, key);
  } catch {
    // storage disabled: the key lives in memory for this page only
  }
}

export function forgetApiKey(): void {
  try {
    sessionStorage.removeItem(KEY_ITEM);
  } catch {
    // nothing stored
  }
}

export type OidcAuth = Extract<ConsoleAuth, { mode: "oidc" }>;

let manager: Promise<UserManager> | undefined;

export function oidcManager(auth: OidcAuth): Promise<UserManager> {
  manager ??= import("oidc-client-ts").then(
    ({ UserManager, WebStorageStateStore }) =>
      new UserManager({
        authority: auth.authority,
        client_id: auth.clientId,
        redirect_uri: `${location.origin}/ui`,
        post_logout_redirect_uri: `${location.origin}/ui`,
        response_type: "code",
        scope: auth.scope,
        userStore: new WebStorageStateStore({ store: sessionStorage }),
        automaticSilentRenew: false,
      }),
  );
  return manager;
}

/** Finishes a sign-in redirect (code and state in the query) or returns the session's user, if any. */
export async function oidcUser(auth: OidcAuth): Promise<User | null> {
  const mgr = await oidcManager(auth);
  const query = new URLSearchParams(location.search);
  if (query.has("code") && query.has("state")) {
    const user = await mgr.signinRedirectCallback();
    // the code is single-use; take it (and the state) out of the address bar and history
    const hash = typeof user.state === "string" && user.state.startsWith("#") ? user.state : location.hash;
    history.replaceState(null, "", `${location.pathname}${hash}`);
    return user;
  }
  const user = await mgr.getUser();
  return user && !user.expired ? user : null;
}

export async function oidcSignIn(auth: OidcAuth): Promise<void> {
  await (await oidcManager(auth)).signinRedirect({ state: location.hash });
}

export async function oidcSignOut(auth: OidcAuth): Promise<void> {
  await (await oidcManager(auth)).removeUser();
}
