// Shared NATS connections for the components of one stream, with Benthos auth fields and the
// reef env fallback (NATS_CREDS / NATS_TOKEN / NATS_USER+NATS_PASSWORD) when a component sets none.
import { readFileSync } from "node:fs";
import {
  connect,
  credsAuthenticator,
  jwtAuthenticator,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from "@nats-io/transport-node";

export interface NatsComponentConf {
  urls: string[];
  name?: string;
  auth?: {
    nkey_file?: string;
    nkey?: string;
    user_credentials_file?: string;
    user_jwt?: string;
    user_nkey_seed?: string;
    user?: string;
    password?: string;
    token?: string;
  };
  max_reconnects?: number;
}

export function natsOptions(conf: NatsComponentConf, env: NodeJS.ProcessEnv): ConnectionOptions {
  const servers: string[] = [];
  const opts: ConnectionOptions = {};
  for (const raw of conf.urls
    .flatMap((u) => u.split(","))
    .map((u) => u.trim())
    .filter(Boolean)) {
    // Credentials in the URL (nats://user:pass@host, nats://token@host), as Benthos accepts them.
    try {
      const u = new URL(raw);
      if (u.username && u.password) {
        opts.user = decodeURIComponent(u.username);
        opts.pass = decodeURIComponent(u.password);
      } else if (u.username) opts.token = decodeURIComponent(u.username);
      servers.push(`${u.protocol}//${u.host}`);
    } catch {
      servers.push(raw);
    }
  }
  opts.servers = servers;
  const a = conf.auth ?? {};
  if (a.user_credentials_file) opts.authenticator = credsAuthenticator(readFileSync(a.user_credentials_file));
  else if (a.user_jwt && a.user_nkey_seed)
    opts.authenticator = jwtAuthenticator(a.user_jwt, new TextEncoder().encode(a.user_nkey_seed));
  else if (a.nkey_file)
    opts.authenticator = nkeyAuthenticator(
      new TextEncoder().encode(readFileSync(a.nkey_file, "utf8").trim()),
    );
  else if (a.nkey) opts.authenticator = nkeyAuthenticator(new TextEncoder().encode(a.nkey));
  else if (a.user) {
    opts.user = a.user;
    opts.pass = a.password ?? "";
  } else if (a.token) opts.token = a.token;
  else if (!opts.user && !opts.token) {
    if (env.NATS_CREDS) opts.authenticator = credsAuthenticator(readFileSync(env.NATS_CREDS));
    else if (env.NATS_TOKEN) opts.token = env.NATS_TOKEN;
    else if (env.NATS_USER) {
      opts.user = env.NATS_USER;
      opts.pass = env.NATS_PASSWORD ?? "";
    }
  }
  return opts;
}

/** What a stream's components get their NATS connections from. */
export interface NatsConnections {
  /** A shared connection per URLs + auth; `own` asks for a connection of its own under that name. */
  get(conf: NatsComponentConf, own?: string): Promise<NatsConnection>;
  /**
   * Whether `own` connections really are (a reef host shares one connection among its streams:
   * there an input must never pause the socket, which would hold up its neighbours).
   */
  readonly ownConnections: boolean;
  /** Releases every connection this stream got (closing those nobody else uses). */
  closeAll(): Promise<void>;
}

/**
 * One connection per distinct (servers, auth, name), reference counted: each `lease()` (one
 * stream) takes references and gives them back when it closes; a connection is drained when its
 * last user is gone. A runner's stream has a pool of its own; a reef host shares one among streams.
 */
export class NatsPool {
  private readonly conns = new Map<string, { nc: Promise<NatsConnection>; refs: number }>();
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly opts: {
      /** Runs the connect outside the caller's async context (a host attributes errors by context). */
      detach?: <T>(fn: () => T) => T;
      /** Every component of every stream shares the connection of its URLs + auth, `own` or not. */
      shareAll?: boolean;
    } = {},
  ) {}

  /** Connections for one stream: the pool's, counted for that stream. */
  lease(): NatsConnections {
    const held: string[] = [];
    let closed = false;
    return {
      ownConnections: !this.opts.shareAll,
      get: (conf, own) => {
        if (closed) return Promise.reject(new Error("the stream's NATS connections are closed"));
        const key = NatsPool.key(conf, this.opts.shareAll ? undefined : own);
        held.push(key);
        return this.acquire(key, conf);
      },
      closeAll: async () => {
        closed = true;
        await Promise.all(held.splice(0).map((k) => this.release(k)));
      },
    };
  }

  /** Open connections (tests and the host's report). */
  get size(): number {
    return this.conns.size;
  }

  private static key(conf: NatsComponentConf, own?: string): string {
    return JSON.stringify([conf.urls, conf.auth ?? {}, conf.name ?? "", conf.max_reconnects ?? -1, own]);
  }

  private acquire(key: string, conf: NatsComponentConf): Promise<NatsConnection> {
    let e = this.conns.get(key);
    if (!e) {
      const opts = natsOptions(conf, this.env);
      const open = () =>
        connect({
          ...opts,
          name: conf.name || "reef-engine",
          maxReconnectAttempts: conf.max_reconnects ?? -1,
          reconnectTimeWait: 1000,
          timeout: 5_000,
        });
      const nc = this.opts.detach ? this.opts.detach(open) : open();
      const entry = { nc, refs: 0 };
      e = entry;
      this.conns.set(key, entry);
      nc.catch(() => {
        if (this.conns.get(key) === entry) this.conns.delete(key);
      });
    }
    e.refs++;
    return e.nc;
  }

  private async release(key: string): Promise<void> {
    const e = this.conns.get(key);
    if (!e || --e.refs > 0) return;
    this.conns.delete(key);
    try {
      const nc = await e.nc;
      await nc.drain().catch(() => nc.close());
    } catch {
      /* never connected */
    }
  }
}

/**
 * Stops or resumes reading a connection's socket, so a subscriber that falls behind leaves messages
 * with the server (which buffers them, as it does for any slow reader) instead of in process memory.
 * nats.js has no public API for this: it reaches the transport's socket, and does nothing when a
 * future nats.js keeps it elsewhere (the subscriber then only queues, up to its limit).
 */
export function pauseReading(nc: NatsConnection, paused: boolean): boolean {
  const socket = (nc as unknown as { protocol?: { transport?: { socket?: unknown } } }).protocol?.transport
    ?.socket as { pause?: () => void; resume?: () => void } | undefined;
  if (typeof socket?.pause !== "function" || typeof socket.resume !== "function") return false;
  if (paused) socket.pause();
  else socket.resume();
  return true;
}

/** NATS headers → metadata (first value of each), and metadata → headers by the output filter. */
export function headersToMeta(
  h: { keys(): string[]; get(k: string): string } | undefined,
  into: Record<string, unknown>,
): void {
  if (!h) return;
  for (const k of h.keys()) into[k] = h.get(k);
}

export function metadataFilter(conf: {
  include_prefixes: string[];
  include_patterns: string[];
}): (key: string) => boolean {
  const pats = conf.include_patterns.map((p) => new RegExp(p));
  const prefixes = conf.include_prefixes;
  if (!pats.length && !prefixes.length) return () => false;
  return (k) => prefixes.some((p) => k.startsWith(p)) || pats.some((r) => r.test(k));
}
