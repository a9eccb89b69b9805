/**
 * Serves the built dApp (`npm run build:app` -> dist/app) on 127.0.0.1 with its `keyway.json`,
 * for `npm start` and the app's browser tests. Any static host serves the same files; this one
 * only adds the configuration of the chain it started.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import path from "node:path";
import type { AppConfig } from "../app/src/config";
import type { Deployment } from "../sdk/deployment";
import type { DevAccount } from "./devChain";

export const APP_DIR = path.resolve(__dirname, "..", "dist", "app");

export interface AppServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  /** Stops listening and drops open connections; resolves once closed. */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

/** The app's configuration for a local chain: its registry, RPC URL, relay and development accounts. */
export function localAppConfig(deployment: Deployment, rpcUrl: string, accounts: DevAccount[], relayUrl?: string): AppConfig {
  return {
    chainId: deployment.chainId,
    chainName: "the local development chain",
    registryAddress: deployment.registryAddress,
    deployBlock: deployment.deployBlock,
    rpcUrl,
    relayUrl,
    devAccounts: accounts.map(({ account, privateKey }) => ({ address: account.address, privateKey })),
  };
}

/** Serves `root` (default dist/app) and `/keyway.json` = `config` on 127.0.0.1:`port` (0: a free port). */
export function serveApp({ config, root = APP_DIR, port = 0 }: { config: AppConfig; root?: string; port?: number }): Promise<AppServer> {
  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url ?? "/", "http://localhost");
    if (pathname === "/keyway.json") {
      response.writeHead(200, { "content-type": TYPES[".json"], "cache-control": "no-store" });
      response.end(JSON.stringify(config));
      return;
    }
    const file = path.join(root, pathname === "/" ? "index.html" : decodeURIComponent(pathname));
    if (!file.startsWith(root + path.sep)) {
      response.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404, { "content-type": "text/plain" }).end("Not found");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${bound}/`,
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Vite's usual port, so the printed URL is the same from run to run; a free one when it is taken. */
const DEFAULT_APP_PORT = 5173;

/** The port `npm start` serves the app on: KEYWAY_APP_PORT, else 5173 if free, else any free port. */
export async function appPort(isPortTaken: (port: number) => Promise<boolean>): Promise<number> {
  const text = process.env.KEYWAY_APP_PORT;
  if (text === undefined) return (await isPortTaken(DEFAULT_APP_PORT)) ? 0 : DEFAULT_APP_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid KEYWAY_APP_PORT ${JSON.stringify(text)}`);
  return port;
}
