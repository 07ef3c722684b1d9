// A command loads only what it uses (docs/architecture.md#the-pairdb-command): help, version
// and a refused option load commander and the command definitions (with the few constant tables
// their options name) and nothing else; `get` loads the client and gRPC but none of the bench,
// the cluster supervisor or the server-side protocol helpers. Observed on the built CLI through
// a module hook and the chunks' source maps.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from '@pairdb/test-ports';
import { buildCliBundle, type CliBundle } from '../support/cli-bundle';
import { installLoadRecorder, loadedSources, packagesOf } from '../support/loaded-sources';
import { runCli } from '../support/run-cli';
import { spawnSync } from 'node:child_process';

/** Constants the bench and cluster definitions name in their options, loaded with them. */
const OPTION_TABLES = new Set([
  'apps/cli/src/bench/workloads.ts',
  'apps/cli/src/bench/random.ts',
  'apps/cli/src/cluster/cluster-layout.ts',
  'apps/cli/src/cluster/default-tenant.ts',
]);
/** Building the CLI takes a few seconds on a busy machine. */
const BUILD_TIMEOUT_MS = 60_000;

describe('what each command loads', () => {
  let bundle: CliBundle;
  let nodeArgs: string[];
  let logDir: string;
  let runs = 0;

  beforeAll(async () => {
    bundle = await buildCliBundle();
    nodeArgs = installLoadRecorder(bundle);
    logDir = mkdtempSync(path.join(tmpdir(), 'pairdb-loads-'));
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    bundle?.remove();
    if (logDir) rmSync(logDir, { recursive: true, force: true });
  });

  /** Runs `pairdb args` with the recorder; the sources it loaded and its exit code. */
  function sourcesLoadedBy(args: string[]): { sources: Set<string>; code: number | null } {
    const log = path.join(logDir, `run-${runs++}.log`);
    const run = spawnSync(process.execPath, [...nodeArgs, bundle.main, ...args], {
      env: { ...process.env, PAIRDB_TEST_LOAD_LOG: log },
      encoding: 'utf8',
    });
    return { sources: loadedSources(bundle, log), code: run.status };
  }

  it.each([['--version'], ['--help'], ['get', '--help'], ['get', '-c', 'twice', 't', 'k']])(
    'pairdb %s loads commander and the command definitions only',
    (...args: string[]) => {
      const { sources } = sourcesLoadedBy(args);
      expect([...packagesOf(sources)]).toEqual(['commander']);
      expect([...sources].filter((source) => source.startsWith('libs/'))).toEqual([]);
      expect(sources).toContain('apps/cli/src/commands/key-value-commands.ts');
      expect(sources).not.toContain('apps/cli/src/actions/key-value-actions.ts');
    },
  );

  it('pairdb get loads the client and gRPC, but no bench, cluster or server code', async () => {
    const nobody = `127.0.0.1:${await freePort()}`;
    const { sources, code } = sourcesLoadedBy(['-a', nobody, '-t', '2000', 'get', 't', 'k']);
    expect(code).not.toBe(0);
    const packages = packagesOf(sources);
    expect(packages).toContain('@grpc/grpc-js');
    expect(sources).toContain('apps/cli/src/actions/key-value-actions.ts');
    expect(sources).toContain('libs/client/src/pairdb-client.ts');
    for (const heavy of ['hdr-histogram-js', 'cli-progress', '@grpc/proto-loader', 'protobufjs']) {
      expect(packages).not.toContain(heavy);
    }
    const unwanted = [...sources].filter(
      (source) =>
        (source.startsWith('apps/cli/src/bench/') && !OPTION_TABLES.has(source)) ||
        (source.startsWith('apps/cli/src/cluster/') && !OPTION_TABLES.has(source)) ||
        /^apps\/cli\/src\/actions\/(?!key-value)/.test(source) ||
        source.startsWith('libs/hashring/') ||
        source === 'libs/proto/src/standard-services.ts' ||
        source === 'libs/proto/src/standard-clients.ts',
    );
    expect(unwanted).toEqual([]);
  });

  it('still runs every command from the split build (bench --help reaches its chunk lazily)', async () => {
    const help = await runCli(bundle.main, ['bench', '--help']);
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toContain('--workload');
  });
});
