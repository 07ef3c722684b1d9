import type { ParsedYaml } from './parsed-yaml';
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { loadManifests, REPO_ROOT, type ManifestObject } from '../src/manifests';
import { unknownFields } from '../src/unknown-fields';

// Building the TypeScript program of the model types takes a few seconds.
jest.setTimeout(60_000);

function modelErrors(objects: readonly ManifestObject[]): string[] {
  const output = execFileSync('node', [path.join(__dirname, '../src/validate-models.mjs')], {
    input: JSON.stringify(objects.map((o) => o.body)),
    cwd: REPO_ROOT,
  });
  return JSON.parse(output.toString()) as string[];
}

function find(kind: string, name: string): ParsedYaml {
  const object = loadManifests().find((o) => o.kind === kind && o.name === name);
  if (!object) throw new Error(`no ${kind} ${name} in local-setup/k8s`);
  return object.body;
}

describe('local-setup/k8s against the Kubernetes schema (kubernetes-models)', () => {
  const objects = loadManifests();

  it('every object of the kustomization validates', () => {
    expect(objects.length).toBeGreaterThan(10);
    expect(modelErrors(objects)).toEqual([]);
  });

  it('a wrong type is caught (the check can fail)', () => {
    const broken = structuredClone(objects);
    const set = broken.find((o) => o.kind === 'StatefulSet' && o.name === 'storage-node')!;
    (set.body as ParsedYaml).spec.replicas = 'three';
    expect(modelErrors(broken)).toEqual([
      'StatefulSet storage-node: data/spec/replicas must be integer',
    ]);
  });

  it('no object sets a field its API type does not have', () => {
    expect(unknownFields(objects)).toEqual([]);
  });

  it('a misspelt field is caught, which the schema validation lets through', () => {
    const broken = structuredClone(objects);
    const deployment = broken.find((o) => o.kind === 'Deployment' && o.name === 'coordinator')!;
    const container = (deployment.body as ParsedYaml).spec.template.spec.containers[0];
    container.readinesProbe = container.readinessProbe;
    delete container.readinessProbe;
    expect(modelErrors(broken)).toEqual([]);
    expect(unknownFields(broken)).toEqual([
      'local-setup/k8s/coordinator.yaml Deployment coordinator: unknown field ' +
        'spec.template.spec.containers[0].readinesProbe',
    ]);
  });
});

describe('local-setup/k8s as docs/architecture.md#deployment describes it', () => {
  it('puts every namespaced object in pairdb', () => {
    const outside = loadManifests()
      .filter((o) => o.kind !== 'Namespace')
      .filter((o) => (o.body.metadata as { namespace?: string }).namespace !== 'pairdb');
    expect(outside.map((o) => `${o.kind} ${o.name}`)).toEqual([]);
  });

  it('coordinators: 2 replicas, ids from the pod name, a PDB and an HPA on the Deployment', () => {
    const deployment = find('Deployment', 'coordinator');
    expect(deployment.spec.replicas).toBe(2);
    const env = deployment.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({
      name: 'PAIRDB_NODE_ID',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    expect(find('PodDisruptionBudget', 'coordinator').spec.selector.matchLabels).toEqual(
      deployment.spec.selector.matchLabels,
    );
    expect(find('HorizontalPodAutoscaler', 'coordinator').spec.scaleTargetRef).toMatchObject({
      kind: 'Deployment',
      name: 'coordinator',
    });
  });

  it('storage nodes: 3 replicas behind a headless Service, own volumes, registration by DNS name', () => {
    const set = find('StatefulSet', 'storage-node');
    const service = find('Service', set.spec.serviceName);
    expect(service.spec.clusterIP).toBe('None');
    expect(service.spec.publishNotReadyAddresses).toBe(true);
    expect(set.spec.replicas).toBe(3);
    const container = set.spec.template.spec.containers[0];
    const mounted = container.volumeMounts.map((m: { name: string }) => m.name);
    expect(set.spec.volumeClaimTemplates.map((t: ParsedYaml) => t.metadata.name)).toEqual(mounted);
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    // $(PAIRDB_NODE_ID) is the pod name: <pod>.<headless service>.<namespace>.svc.
    expect(env.PAIRDB_REGISTRATION_ADVERTISE_HOST).toBe(
      `$(PAIRDB_NODE_ID).${service.metadata.name}.pairdb.svc.cluster.local`,
    );
    expect(env.PAIRDB_REGISTRATION_COORDINATOR_ADDRESS).toBe(
      'coordinator.pairdb.svc.cluster.local:50051',
    );
    // Room to drain (server.shutdown_timeout) and flush before SIGKILL.
    const shutdownSeconds = Number.parseInt(env.PAIRDB_SERVER_SHUTDOWN_TIMEOUT, 10);
    expect(set.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      shutdownSeconds + 30,
    );
    expect(find('PodDisruptionBudget', 'storage-node').spec.maxUnavailable).toBe(1);
  });

  it('the PostgreSQL and Redis URLs come from the Secret', () => {
    const secret = find('Secret', 'pairdb-secrets');
    expect(Object.keys(secret.stringData)).toEqual(
      expect.arrayContaining(['PAIRDB_PG_URL', 'PAIRDB_REDIS_URL']),
    );
  });
});

describe('yamllint', () => {
  const installed = spawnSync('yamllint', ['--version']).status === 0;
  // CI installs it (.ci/run); a machine without it skips, saying so.
  const runIt = installed || process.env.CI === 'true' ? it : it.skip;
  if (!installed && process.env.CI !== 'true') {
    console.warn('yamllint is not installed (Debian package yamllint): skipping the YAML lint');
  }

  runIt('finds nothing in local-setup/', () => {
    const result = spawnSync(
      'yamllint',
      ['--strict', '-c', 'local-setup/.yamllint.yaml', 'local-setup'],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(result.error).toBeUndefined();
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
