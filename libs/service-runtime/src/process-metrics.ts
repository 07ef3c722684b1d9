// Node.js process metrics (CPU, memory, event-loop lag, GC) in a given registry, minus the
// three gauges prom-client names `*_total`, which Prometheus reserves for counters (promtool
// rejects them).
import { collectDefaultMetrics, type Registry } from 'prom-client';

const GAUGES_NAMED_LIKE_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function registerProcessMetrics(registry: Registry, prefix: string): void {
  collectDefaultMetrics({ register: registry, prefix });
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(prefix + name);
}
