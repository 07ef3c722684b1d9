// local-setup/docker-compose.yml against the apps (app-contract.ts) and DESIGN's deployment
// rules (docs/architecture.md#deployment): what each PairDB container runs, reads and publishes,
// that only coordinators publish and only on 127.0.0.1, that every dependency waits for health,
// and that the names the storage nodes register with resolve on the compose network.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { AppContract } from './app-contract';
import { REPO_ROOT } from './manifests';

export const COMPOSE_FILE = 'local-setup/docker-compose.yml';

export interface ComposeService {
  readonly image?: string;
  readonly build?: { context: string; dockerfile: string };
  readonly command?: string[];
  readonly environment?: Record<string, string>;
  readonly ports?: string[];
  readonly healthcheck?: { test: string[] };
  readonly depends_on?: Record<string, { condition?: string }> | string[];
  readonly networks?: Record<string, { aliases?: string[] } | null>;
  readonly volumes?: string[];
}

export interface ComposeFile {
  readonly services: Record<string, ComposeService>;
  readonly volumes?: Record<string, unknown>;
}

/** The compose file with its `<<` merges applied, as docker compose reads it. */
export function loadCompose(): ComposeFile {
  const text = readFileSync(path.join(REPO_ROOT, COMPOSE_FILE), 'utf8');
  return parseYaml(text, { merge: true }) as ComposeFile;
}

/** `[ip:]host:container` with the `${VAR:-default}` host port left as written. */
function publishedPort(spec: string): { ip?: string; containerPort: number } {
  const parts = spec.replace(/\$\{[^}]*\}/g, 'VAR').split(':');
  return {
    ip: parts.length === 3 ? parts[0] : undefined,
    containerPort: Number(parts[parts.length - 1]),
  };
}

/** The HEALTHCHECK of apps/<app>/Dockerfile: the path it fetches and its default port. */
export function dockerfileHealthcheck(app: string): { path: string; port: number } | undefined {
  const dockerfile = readFileSync(path.join(REPO_ROOT, 'apps', app, 'Dockerfile'), 'utf8');
  const command = /^HEALTHCHECK [^\n]*\\\n\s*CMD (.+)$/m.exec(dockerfile)?.[1];
  const target = command && /\|\| (\d+)\) \+ '(\/[a-z]+)'/.exec(command);
  return target ? { port: Number(target[1]), path: target[2]! } : undefined;
}

/** Every way the compose file breaks the rules above; empty when none. */
export function composeProblems(compose: ComposeFile, contracts: readonly AppContract[]): string[] {
  const problems: string[] = [];
  const names = new Map<string, string>();
  for (const [name, service] of Object.entries(compose.services)) {
    names.set(name, name);
    for (const network of Object.values(service.networks ?? {})) {
      for (const alias of network?.aliases ?? []) names.set(alias, name);
    }
  }
  const declaredVolumes = new Set(Object.keys(compose.volumes ?? {}));
  const ids = new Map<string, string>();

  for (const [name, service] of Object.entries(compose.services)) {
    const note = (problem: string) => problems.push(`${COMPOSE_FILE} service ${name}: ${problem}`);
    const contract = contracts.find((c) => service.image?.startsWith(`pairdb/${c.app}:`));
    const environment = service.environment ?? {};

    const dependencies = service.depends_on ?? {};
    if (Array.isArray(dependencies)) {
      note('depends_on lists services without condition: service_healthy');
    } else {
      for (const [dependency, { condition }] of Object.entries(dependencies)) {
        if (!(dependency in compose.services)) note(`depends_on ${dependency}: no such service`);
        if (condition !== 'service_healthy')
          note(`depends_on ${dependency} waits for ${condition}, not service_healthy`);
      }
    }
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0]!;
      if (!source.startsWith('.') && !source.startsWith('/') && !declaredVolumes.has(source))
        note(`volume ${source} is not declared under volumes`);
    }

    if (!contract) {
      if (service.ports?.length) note('publishes ports; only the coordinators may');
      if (!service.healthcheck) note('has no healthcheck');
      continue;
    }

    if (service.build?.dockerfile !== `apps/${contract.app}/Dockerfile`)
      note(`builds ${service.build?.dockerfile}, not apps/${contract.app}/Dockerfile`);
    if (service.command && JSON.stringify(service.command) !== JSON.stringify(contract.command))
      note(`command ${JSON.stringify(service.command)} is not ${JSON.stringify(contract.command)}`);
    for (const variable of Object.keys(environment)) {
      if (!contract.envNames.has(variable)) note(`env ${variable} is not read by ${contract.app}`);
    }
    const id = environment.PAIRDB_NODE_ID;
    if (!id) note('has no PAIRDB_NODE_ID');
    else if (ids.has(id)) note(`PAIRDB_NODE_ID ${id} is also ${ids.get(id)}'s`);
    else ids.set(id, name);

    const served = new Set([contract.grpcPort, contract.httpPort, contract.metricsPort]);
    for (const spec of service.ports ?? []) {
      const { ip, containerPort } = publishedPort(spec);
      if (contract.app !== 'coordinator') note(`publishes ${spec}; only the coordinators may`);
      if (ip !== '127.0.0.1') note(`publishes ${spec} beyond 127.0.0.1`);
      if (!served.has(containerPort))
        note(`publishes port ${containerPort}, which ${contract.app} does not serve`);
    }

    const healthcheck = service.healthcheck
      ? /(\/[a-z]+)/.exec(service.healthcheck.test.join(' '))?.[1]
      : dockerfileHealthcheck(contract.app)?.path;
    if (
      !healthcheck ||
      !contract.httpPaths.has(healthcheck) ||
      healthcheck === contract.metricsPath
    )
      note(`health check ${healthcheck ?? '(none)'} is not a health path of ${contract.app}`);

    if (environment.PAIRDB_PG_URL) {
      const url = new URL(environment.PAIRDB_PG_URL);
      const postgres = compose.services[names.get(url.hostname) ?? '']?.environment ?? {};
      const expected = {
        user: postgres.POSTGRES_USER ?? 'postgres',
        password: postgres.POSTGRES_PASSWORD,
        database: postgres.POSTGRES_DB ?? postgres.POSTGRES_USER ?? 'postgres',
      };
      const given = { user: url.username, password: url.password, database: url.pathname.slice(1) };
      if (JSON.stringify(given) !== JSON.stringify(expected))
        note(`PAIRDB_PG_URL does not match the ${url.hostname} service's POSTGRES_* settings`);
    }

    if (contract.app === 'storage-node') {
      const [host, port] = (environment.PAIRDB_REGISTRATION_COORDINATOR_ADDRESS ?? '').split(':');
      const target = names.get(host ?? '');
      const targetImage = target ? compose.services[target]!.image : undefined;
      if (!targetImage?.startsWith('pairdb/coordinator:'))
        note(`registers through ${host}, which is no coordinator service`);
      const coordinator = contracts.find((c) => c.app === 'coordinator');
      if (Number(port) !== coordinator?.grpcPort)
        note(`registers through port ${port}, not the coordinator's gRPC port`);
      const advertised = environment.PAIRDB_REGISTRATION_ADVERTISE_HOST;
      if (advertised !== name && names.get(advertised ?? '') !== name)
        note(`advertises ${advertised}, which does not name this service`);
    }
  }
  return problems;
}
