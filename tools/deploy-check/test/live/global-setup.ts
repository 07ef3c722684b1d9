// Builds what the container tests run, once: stand-ins for the public base images where this
// machine has none (standin-images/build.sh), then both apps' images from their Dockerfiles.
import { planDocker, run } from './docker-host';

export const IMAGES = {
  coordinator: 'pairdb/coordinator:local',
  storageNode: 'pairdb/storage-node:local',
} as const;

export default function buildImages(): void {
  if (planDocker().kind !== 'run') return;
  const started = Date.now();
  const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
  run('tools/deploy-check/standin-images/build.sh', [], { timeoutMs: 600_000 });
  const standins = Date.now();
  const standinSeconds = seconds(started);
  for (const [app, tag] of [
    ['storage-node', IMAGES.storageNode],
    ['coordinator', IMAGES.coordinator],
  ]) {
    run('docker', ['build', '-q', '-f', `apps/${app}/Dockerfile`, '-t', tag!, '.'], {
      timeoutMs: 900_000,
    });
  }
  const sizes = run('docker', [
    'image',
    'ls',
    '--format',
    '{{.Repository}}:{{.Tag}} {{.Size}}',
    'pairdb/*',
  ]).trim();
  console.log(
    `container images: base images ready in ${standinSeconds} s, apps built in ${seconds(standins)} s\n${sizes}`,
  );
}
