import type { ParsedYaml } from './parsed-yaml';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { appContract, contractProblems } from '../src/app-contract';
import { composeProblems, dockerfileHealthcheck, loadCompose } from '../src/compose-file';
import { loadManifests, REPO_ROOT, type ManifestObject } from '../src/manifests';

const contracts = [appContract('coordinator'), appContract('storage-node')];

/** A copy of the manifests with one container of `name` changed by `edit`. */
function edited(name: string, edit: (container: ParsedYaml) => void): ManifestObject[] {
  const objects = structuredClone(loadManifests());
  const object = objects.find((o) => o.name === name && o.body.kind !== 'Service')!;
  edit((object.body as ParsedYaml).spec.template.spec.containers[0]);
  return objects;
}

describe('manifests against what the apps serve and read', () => {
  it('reads the apps: the coordinator serves gRPC, health and metrics on their own ports', () => {
    const [coordinator, storage] = contracts;
    expect(coordinator).toMatchObject({ grpcPort: 50051, httpPort: 8080, metricsPort: 9090 });
    expect(storage).toMatchObject({ grpcPort: 50052, httpPort: 9091, metricsPort: 9091 });
    expect([...coordinator!.httpPaths].sort()).toEqual(['/healthz', '/readyz']);
    expect(storage!.envNames.has('PAIRDB_REGISTRATION_ADVERTISE_HOST')).toBe(true);
    expect(coordinator!.envNames.has('PAIRDB_PG_URL')).toBe(true);
  });

  it('every port, probe, env var and command of a PairDB container is the app’s own', () => {
    expect(contractProblems(loadManifests(), contracts)).toEqual([]);
  });

  it('catches a probe on the metrics port (the seed’s 9090-for-8080 mistake)', () => {
    const objects = edited('coordinator', (c) => (c.readinessProbe.httpGet.port = 9090));
    expect(contractProblems(objects, contracts)).toEqual([
      expect.stringContaining('readinessProbe port 9090 is not the HTTP port 8080'),
    ]);
  });

  it('catches a disabled probe, a wrong path and a gRPC probe on the HTTP port', () => {
    const objects = edited('storage-node', (c) => {
      delete c.readinessProbe;
      c.startupProbe.httpGet.path = '/health';
      c.livenessProbe.grpc.port = 9091;
    });
    expect(contractProblems(objects, contracts).sort()).toEqual([
      expect.stringContaining('has no readinessProbe'),
      expect.stringContaining('livenessProbe grpc port 9091 is not the gRPC port 50052'),
      expect.stringContaining('startupProbe path /health is not a health path'),
    ]);
  });

  it('catches an env var the app does not read and a command it does not ship', () => {
    const objects = edited('coordinator', (c) => {
      c.env.push({ name: 'PAIRDB_DATABASE_HOSTNAME', value: 'postgres' });
      c.command = ['node', 'apps/coordinator/dist/server.js'];
    });
    expect(contractProblems(objects, contracts).sort()).toEqual([
      expect.stringContaining('command ["node","apps/coordinator/dist/server.js"] is not'),
      expect.stringContaining('env PAIRDB_DATABASE_HOSTNAME is not read by coordinator'),
    ]);
  });
});

describe('docker-compose.yml against what the apps serve and read', () => {
  /** A copy of the compose file with `edit` applied to it. */
  function editedCompose(edit: (services: ParsedYaml) => void) {
    const compose = structuredClone(loadCompose());
    edit(compose.services);
    return compose;
  }

  it('runs PostgreSQL, Redis, 2 coordinators and 3 storage nodes with named volumes', () => {
    const { services, volumes } = loadCompose();
    const images = Object.values(services).map((service) => service.image);
    expect(images.sort()).toEqual([
      'pairdb/coordinator:local',
      'pairdb/coordinator:local',
      'pairdb/storage-node:local',
      'pairdb/storage-node:local',
      'pairdb/storage-node:local',
      'postgres:16',
      'redis:7',
    ]);
    expect(Object.keys(volumes ?? {})).toHaveLength(5);
  });

  it('every container runs, reads, publishes and registers as the apps do', () => {
    expect(composeProblems(loadCompose(), contracts)).toEqual([]);
  });

  it('catches a port published beyond 127.0.0.1, a storage port published, a wrong env var', () => {
    const compose = editedCompose((services) => {
      services['coordinator-1'].ports[0] = '50051:50051';
      services['storage-node-0'].ports = ['127.0.0.1:50052:50052'];
      services['coordinator-2'].environment.PAIRDB_DB_HOSTNAME = 'postgres';
    });
    expect(composeProblems(compose, contracts).sort()).toEqual([
      expect.stringContaining('coordinator-1: publishes 50051:50051 beyond 127.0.0.1'),
      expect.stringContaining('coordinator-2: env PAIRDB_DB_HOSTNAME is not read by coordinator'),
      expect.stringContaining(
        'storage-node-0: publishes 127.0.0.1:50052:50052; only the coordinators',
      ),
    ]);
  });

  it('catches two coordinators sharing an id, a node advertising another name, a bare depends_on', () => {
    const compose = editedCompose((services) => {
      services['coordinator-2'].environment.PAIRDB_NODE_ID = 'coordinator-1';
      services['storage-node-1'].environment.PAIRDB_REGISTRATION_ADVERTISE_HOST = 'storage-node-0';
      services['storage-node-2'].depends_on = ['coordinator-1'];
    });
    expect(composeProblems(compose, contracts).sort()).toEqual([
      expect.stringContaining(
        "coordinator-2: PAIRDB_NODE_ID coordinator-1 is also coordinator-1's",
      ),
      expect.stringContaining('storage-node-1: advertises storage-node-0, which does not name'),
      expect.stringContaining('storage-node-2: depends_on lists services without condition'),
    ]);
  });

  it('catches registration through a non-coordinator and a password PostgreSQL was not given', () => {
    const compose = editedCompose((services) => {
      services['storage-node-0'].environment.PAIRDB_REGISTRATION_COORDINATOR_ADDRESS = 'redis:6379';
      services.postgres.environment.POSTGRES_PASSWORD = 'changed';
    });
    expect(composeProblems(compose, contracts).sort()).toEqual([
      expect.stringContaining("coordinator-1: PAIRDB_PG_URL does not match the postgres service's"),
      expect.stringContaining("coordinator-2: PAIRDB_PG_URL does not match the postgres service's"),
      expect.stringContaining('storage-node-0: registers through port 6379, not the coordinator'),
      expect.stringContaining('storage-node-0: registers through redis, which is no coordinator'),
    ]);
  });
});

describe('Dockerfiles against what the apps serve', () => {
  it.each(contracts)('$app: runs its built entry point and exposes only its ports', (contract) => {
    const dockerfile = readFileSync(
      path.join(REPO_ROOT, 'apps', contract.app, 'Dockerfile'),
      'utf8',
    );
    const cmd = /^CMD (.+)$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(contract.command);
    const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)![1]!.split(' ').map(Number);
    const served = [contract.grpcPort, contract.httpPort, contract.metricsPort];
    expect(exposed.filter((port) => !served.includes(port))).toEqual([]);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
    const healthcheck = dockerfileHealthcheck(contract.app);
    expect(healthcheck?.port).toBe(contract.httpPort);
    expect(['/healthz', '/readyz']).toContain(healthcheck?.path);
    expect(contract.httpPaths.has(healthcheck!.path)).toBe(true);
  });
});
