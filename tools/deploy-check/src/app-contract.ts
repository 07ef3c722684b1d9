// What each app really serves and reads, derived from the apps themselves: the PAIRDB_*
// variables from each config.example.yaml (which each app's config spec holds equal to its
// config schema) through the config loader's naming rule, plus the short aliases in config.ts;
// the ports from the same file; the HTTP paths from the route tables passed to startHttpServer;
// the command from the app's build target. The manifests are then checked against it.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { envNameFor } from '@pairdb/service-runtime';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT, type ManifestObject } from './manifests';

export interface AppContract {
  readonly app: string;
  readonly envNames: ReadonlySet<string>;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly metricsPort: number;
  /** Paths served on httpPort. */
  readonly httpPaths: ReadonlySet<string>;
  readonly metricsPath: string;
  /** The built entry point, from the repository root. */
  readonly command: readonly string[];
}

type Tree = Record<string, unknown>;

function leafPaths(tree: Tree, prefix: string[] = []): string[][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? leafPaths(value as Tree, [...prefix, key])
      : [[...prefix, key]],
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

export function appContract(app: 'coordinator' | 'storage-node'): AppContract {
  const appDir = path.join(REPO_ROOT, 'apps', app);
  const example = parseYaml(readFileSync(path.join(appDir, 'config.example.yaml'), 'utf8')) as Tree;
  const configSource = readFileSync(path.join(appDir, 'src/config.ts'), 'utf8');
  const aliases = [
    ...(/aliases: \{([^}]*)\}/s.exec(configSource)?.[1] ?? '').matchAll(/(PAIRDB_\w+):/g),
  ];
  const envNames = new Set([
    ...leafPaths(example).map((field) => envNameFor(field)),
    ...aliases.map((match) => match[1]!),
  ]);
  const section = (name: string) => (example[name] ?? {}) as Tree;
  const httpPaths = new Set<string>();
  for (const file of sourceFiles(path.join(appDir, 'src'))) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('startHttpServer(')) continue;
    for (const match of text.matchAll(/'(\/[a-z]+)':/g)) httpPaths.add(match[1]!);
  }
  const metrics = section('metrics');
  const build = JSON.parse(readFileSync(path.join(appDir, 'project.json'), 'utf8')) as {
    targets: { build: { options: { command: string } } };
  };
  const entry = / (src\/main)\.ts\b/.exec(build.targets.build.options.command)?.[1];
  if (!entry) throw new Error(`apps/${app}/project.json: the build target has no src/main.ts`);
  const httpPort = Number(section('http').port);
  const metricsPath = typeof metrics.path === 'string' ? metrics.path : '/metrics';
  if (metrics.path === undefined) httpPaths.add(metricsPath);
  return {
    app,
    envNames,
    grpcPort: Number(section('server').port),
    httpPort,
    metricsPort: typeof metrics.port === 'number' ? metrics.port : httpPort,
    httpPaths,
    metricsPath,
    command: ['node', `apps/${app}/${entry.replace(/^src\//, 'dist/')}.js`],
  };
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: Array<{ name: string }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

interface Probe {
  httpGet?: { path: string; port: number | string };
  grpc?: { port: number };
}

function podContainers(object: ManifestObject): Container[] {
  const spec = object.body.spec as { template?: { spec?: { containers?: Container[] } } };
  return spec?.template?.spec?.containers ?? [];
}

/** Every way a manifest's PairDB container disagrees with its app; empty when none. */
export function contractProblems(
  objects: readonly ManifestObject[],
  contracts: readonly AppContract[],
): string[] {
  const problems: string[] = [];
  const configMaps = new Map(
    objects
      .filter((o) => o.kind === 'ConfigMap' || o.kind === 'Secret')
      .map((o) => [
        o.name,
        Object.keys({ ...(o.body.data as object), ...(o.body.stringData as object) }),
      ]),
  );
  for (const object of objects) {
    for (const container of podContainers(object)) {
      const contract = contracts.find((c) => container.image.startsWith(`pairdb/${c.app}:`));
      if (!contract) continue;
      const where = `${object.file} ${object.kind} ${object.name} container ${container.name}`;
      const note = (problem: string) => problems.push(`${where}: ${problem}`);
      if (JSON.stringify(container.command) !== JSON.stringify(contract.command)) {
        note(
          `command ${JSON.stringify(container.command)} is not ${JSON.stringify(contract.command)}`,
        );
      }
      for (const variable of container.env ?? []) {
        if (!contract.envNames.has(variable.name))
          note(`env ${variable.name} is not read by ${contract.app}`);
      }
      for (const source of container.envFrom ?? []) {
        const name = source.configMapRef?.name ?? source.secretRef?.name ?? '';
        for (const key of configMaps.get(name) ?? [`(${name} not found)`]) {
          if (key.startsWith('PAIRDB_') && !contract.envNames.has(key)) {
            note(`env ${key} from ${name} is not read by ${contract.app}`);
          }
        }
      }
      const served = new Set([contract.grpcPort, contract.httpPort, contract.metricsPort]);
      const named = new Map<string, number>();
      for (const port of container.ports ?? []) {
        if (port.name) named.set(port.name, port.containerPort);
        if (!served.has(port.containerPort))
          note(`port ${port.containerPort} is not served by ${contract.app}`);
      }
      const probes = {
        startupProbe: container.startupProbe,
        readinessProbe: container.readinessProbe,
        livenessProbe: container.livenessProbe,
      };
      for (const [kind, probe] of Object.entries(probes)) {
        if (!probe) {
          note(`has no ${kind}`);
          continue;
        }
        if (probe.grpc && probe.grpc.port !== contract.grpcPort) {
          note(`${kind} grpc port ${probe.grpc.port} is not the gRPC port ${contract.grpcPort}`);
        }
        if (probe.httpGet) {
          const { port, path: probePath } = probe.httpGet;
          const number = typeof port === 'number' ? port : named.get(port);
          if (number !== contract.httpPort)
            note(`${kind} port ${port} is not the HTTP port ${contract.httpPort}`);
          if (!contract.httpPaths.has(probePath) || probePath === contract.metricsPath) {
            note(`${kind} path ${probePath} is not a health path of ${contract.app}`);
          }
        }
      }
    }
  }
  return problems;
}
