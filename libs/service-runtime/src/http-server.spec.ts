import { Counter, Registry } from 'prom-client';
import { livenessRoute, metricsRoute, readinessRoute, startHttpServer } from './http-server';

describe('HTTP health and metrics server', () => {
  it('serves /healthz, /readyz that follows its check, /metrics and 404 elsewhere', async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: 'probe_requests_total',
      help: 'probe',
      registers: [registry],
    });
    counter.inc(3);
    let ready = false;
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      routes: {
        '/healthz': livenessRoute(),
        '/readyz': readinessRoute(() => ({
          ready,
          checks: { engine: ready ? 'open' : 'opening' },
        })),
        '/metrics': metricsRoute(registry),
      },
    });
    const base = `http://127.0.0.1:${server.port}`;
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({ status: 'not ready', checks: { engine: 'opening' } });
      ready = true;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('probe_requests_total 3');
      expect((await fetch(`${base}/nothing`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('answers 503 when the readiness check itself throws', async () => {
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      routes: {
        '/readyz': readinessRoute(() => {
          throw new Error('metadata store unreachable');
        }),
      },
    });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      expect(res.status).toBe(503);
      expect(JSON.stringify(await res.json())).toContain('metadata store unreachable');
    } finally {
      await server.close();
    }
  });
});
