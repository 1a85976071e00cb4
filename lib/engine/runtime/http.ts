// HTTP servers shared by path: `http_server` inputs with no address use the stream-wide server
// (`http.address`), which also answers /ping, /ready and /metrics (JSON) like Benthos's.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Entry {
  server: Server;
  routes: Map<string, Handler>;
  listening: Promise<void>;
}

export class HttpServerRegistry {
  private readonly servers = new Map<string, Entry>();
  constructor(private readonly extraRoutes: Record<string, Handler> = {}) {}

  /** Registers `path` on the server at `address` (host:port), starting it when needed. */
  async route(address: string, path: string, handler: Handler, withDefaults = false): Promise<void> {
    let e = this.servers.get(address);
    if (!e) {
      const routes = new Map<string, Handler>();
      if (withDefaults) for (const [p, h] of Object.entries(this.extraRoutes)) routes.set(p, h);
      const server = createServer((req, res) => {
        const path = (req.url ?? "/").split("?")[0];
        const h = routes.get(path);
        if (h) h(req, res);
        else {
          res.statusCode = 404;
          res.end("not found\n");
        }
      });
      const { host, port } = splitAddress(address);
      const listening = new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve());
      });
      e = { server, routes, listening };
      this.servers.set(address, e);
    }
    if (e.routes.has(path) && !this.extraRoutes[path])
      throw new Error(`path ${path} is already served on ${address}`);
    e.routes.set(path, handler);
    await e.listening;
  }

  /** The port actually bound (for address ":0" style configs). */
  port(address: string): number | undefined {
    const a = this.servers.get(address)?.server.address();
    return typeof a === "object" && a ? a.port : undefined;
  }

  async closeAll(): Promise<void> {
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(
      all.map(
        (e) =>
          new Promise<void>((resolve) => {
            e.server.close(() => resolve());
            e.server.closeAllConnections?.();
          }),
      ),
    );
  }
}

export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  const host = i > 0 ? address.slice(0, i) : "0.0.0.0";
  const port = Number(address.slice(i + 1)) || 0;
  return { host: host.replace(/^\[|\]$/g, ""), port };
}
