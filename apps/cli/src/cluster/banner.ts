// What `pairdb cluster start` prints once the cluster is up: where everything listens and the
// commands to try next.
import * as path from 'node:path';
import { renderTable } from '../output/table';
import { DEFAULT_TENANT } from './default-tenant';
import { BASE_PORT_DEFAULT, LOOPBACK_HOST, type ClusterLayout } from './cluster-layout';
import { STATE_FILE_NAME } from './cluster-state-file';

interface Row {
  process: string;
  grpc: string;
  health: string;
  metrics: string;
}

export function renderBanner(layout: ClusterLayout): string {
  const url = (port: number, route: string) => `http://${LOOPBACK_HOST}:${port}${route}`;
  const c = layout.coordinator;
  const rows: Row[] = [
    {
      process: c.name,
      grpc: `${LOOPBACK_HOST}:${c.grpc}`,
      health: url(c.http, '/readyz'),
      metrics: url(c.metrics, '/metrics'),
    },
    ...layout.nodes.map((node) => ({
      process: node.name,
      grpc: `${LOOPBACK_HOST}:${node.grpc}`,
      health: url(node.http, '/readyz'),
      metrics: url(node.http, '/metrics'),
    })),
  ];
  const table = renderTable(rows, [
    { header: 'PROCESS', value: (r) => r.process },
    { header: 'GRPC', value: (r) => r.grpc },
    { header: 'HEALTH', value: (r) => r.health },
    { header: 'METRICS', value: (r) => r.metrics },
  ]);
  const relative = displayPath(layout.dataDir);
  const address = c.grpc === BASE_PORT_DEFAULT ? '' : ` -a ${LOOPBACK_HOST}:${c.grpc}`;
  const pairdb = `pairdb${address}`;
  return [
    '',
    'PairDB is running.',
    '',
    indent(table),
    '',
    `  logs: ${path.join(relative, 'logs')}/   state: ${path.join(relative, STATE_FILE_NAME)}`,
    '',
    'Try, in another terminal at the repository root (npm ci linked node_modules/.bin/pairdb):',
    '  export PATH="$PWD/node_modules/.bin:$PATH"',
    `  ${pairdb} put ${DEFAULT_TENANT} hello world`,
    `  ${pairdb} get ${DEFAULT_TENANT} hello`,
    `  ${pairdb} get ${DEFAULT_TENANT} hello --json`,
    `  ${pairdb} status`,
    `  ${pairdb} shell`,
    `  ${pairdb} bench --workload A --records 10000 --operations 50000`,
    '',
    `Ctrl-C stops the cluster; the data stays in ${relative}/ for the next start.`,
    '',
  ].join('\n');
}

/** Relative to the working directory when inside it, absolute otherwise. */
function displayPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  if (relative === '') return '.';
  return relative.startsWith('..') || path.isAbsolute(relative) ? dir : relative;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
