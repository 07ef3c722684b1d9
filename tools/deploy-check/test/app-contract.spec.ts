import type { ParsedYaml } from './parsed-yaml';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { appContract, contractProblems } from '../src/app-contract';
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
  });
});
