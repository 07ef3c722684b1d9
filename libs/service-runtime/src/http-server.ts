// The small HTTP side of every process: liveness, readiness and Prometheus metrics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpServerHandle {
  readonly port: number;
  close(): Promise<void>;
}

export interface Readiness {
  ready: boolean;
  /** Why not ready, or what was checked. */
  checks: Record<string, string>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** `/healthz`: the process is alive and its event loop answers. */
export function livenessRoute(): RouteHandler {
  return (_req, res) => sendJson(res, 200, { status: 'ok' });
}

/** `/readyz`: 200 when every check passes, 503 with the failing checks otherwise. */
export function readinessRoute(check: () => Readiness | Promise<Readiness>): RouteHandler {
  return async (_req, res) => {
    try {
      const readiness = await check();
      sendJson(res, readiness.ready ? 200 : 503, {
        status: readiness.ready ? 'ready' : 'not ready',
        checks: readiness.checks,
      });
    } catch (error) {
      sendJson(res, 503, { status: 'not ready', checks: { error: (error as Error).message } });
    }
  };
}

/** `/metrics`: the registry in the Prometheus text format. */
export function metricsRoute(registry: Registry): RouteHandler {
  return async (_req, res) => {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(body);
  };
}

export async function startHttpServer(options: {
  host: string;
  port: number;
  routes: Record<string, RouteHandler>;
}): Promise<HttpServerHandle> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const handler = options.routes[path];
    if (!handler || (req.method !== 'GET' && req.method !== 'HEAD')) {
      sendJson(res, 404, { error: `no route ${req.method} ${path}` });
      return;
    }
    Promise.resolve(handler(req, res)).catch((error: Error) => {
      if (!res.headersSent) sendJson(res, 500, { error: error.message });
      else res.destroy(error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
