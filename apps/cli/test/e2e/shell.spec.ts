// `pairdb shell` typed into a real pseudo-terminal (tmux) against a real local cluster: commands
// without the prefix, a failure that leaves the shell running, the json and consistency
// settings, Tab completion of commands and tenants, history kept across sessions, and Ctrl-D.
// Needs tmux; under CI=true (which installs it, .ci/run) a missing tmux fails instead of skipping.
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { buildCliBundle, type CliBundle } from '../support/cli-bundle';
import { isAlive, startBundledCluster, type ClusterProcess } from '../support/cluster-process';
import type { TestPorts } from '../support/ports';
import { TmuxTerminal } from '../support/tmux-terminal';

const NODES = 3;
/** Enough for a fresh cluster (PGlite initdb) on a loaded 2-core machine. */
const START_TIMEOUT_MS = 120_000;
/** One command's answer on a busy machine (the first loads the client). */
const ANSWER_MS = 15_000;
/** A write at ALL with a node frozen waits for the coordinator's 5 s write timeout. */
const QUORUM_FAILURE_MS = 20_000;
const PROMPT = 'pairdb> ';

const withTmux = TmuxTerminal.available() || process.env['CI'] === 'true';
if (!withTmux) console.warn('shell.spec.ts skipped: tmux is not installed (apt-get install tmux)');
(withTmux ? describe : describe.skip)('pairdb shell in a terminal', () => {
  jest.setTimeout(60_000);
  let bundle: CliBundle;
  let ports: TestPorts;
  let dataDir: string;
  let cluster: ClusterProcess;
  let pids: number[] = [];
  const terminals: TmuxTerminal[] = [];

  beforeAll(async () => {
    bundle = await buildCliBundle();
    ({ ports, dataDir, cluster } = await startBundledCluster(
      bundle.main,
      NODES,
      'pairdb-shell-e2e-',
    ));
    pids = cluster.pids();
  }, START_TIMEOUT_MS);

  afterEach(() => {
    for (const terminal of terminals.splice(0)) terminal.kill();
  });

  afterAll(async () => {
    if (cluster && pids.some(isAlive)) await cluster.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    bundle?.remove();
  }, 60_000);

  /** A shell on the test cluster, at its first prompt. */
  async function shell(historyFile: string): Promise<TmuxTerminal> {
    const terminal = TmuxTerminal.start([
      process.execPath,
      bundle.main,
      '--address',
      `127.0.0.1:${ports.basePort}`,
      'shell',
      '--history-file',
      historyFile,
    ]);
    terminals.push(terminal);
    await terminal.waitFor(PROMPT, ANSWER_MS);
    return terminal;
  }

  /** Types a line, presses Enter, and waits for the prompt after its answer. */
  async function run(terminal: TmuxTerminal, line: string): Promise<string> {
    const prompts = terminal.screen().split(PROMPT).length - 1;
    terminal.type(line);
    terminal.press('Enter');
    const screen = await terminal.waitFor(PROMPT, QUORUM_FAILURE_MS, prompts + 1);
    const answer = screen.slice(screen.lastIndexOf(`${PROMPT}${line}`) + PROMPT.length);
    return answer.slice(line.length, answer.lastIndexOf(PROMPT)).trim();
  }

  it('runs commands without the prefix, and prints a failure without leaving', async () => {
    const terminal = await shell(path.join(dataDir, 'history-commands'));
    expect(await run(terminal, 'put default greeting "hello shell"')).toBe('OK');
    expect(await run(terminal, 'get default greeting')).toBe('hello shell');
    expect(await run(terminal, 'get default never-written')).toBe(
      'pairdb: key "never-written" not found in tenant "default" (NOT_FOUND)',
    );
    expect(await run(terminal, 'get --consistency twice default greeting')).toContain(
      "argument 'twice' is invalid",
    );
    expect(await run(terminal, 'put default greeting -')).toContain('"-" reads standard input');
    expect(await run(terminal, 'get default greeting')).toBe('hello shell');
  });

  it('keeps --json on for every command after `json on`, until `json off`', async () => {
    const terminal = await shell(path.join(dataDir, 'history-json'));
    await run(terminal, 'put default settings-json v1');
    expect(await run(terminal, 'json on')).toBe('json on, consistency quorum (the default)');
    expect(JSON.parse(await run(terminal, 'get default settings-json'))).toMatchObject({
      key: 'settings-json',
      value: 'v1',
    });
    expect(JSON.parse(await run(terminal, 'tenant get default'))).toMatchObject({
      tenantId: 'default',
    });
    await run(terminal, 'json off');
    expect(await run(terminal, 'get default settings-json')).toBe('v1');
  });

  it('applies `consistency` to every write until changed', async () => {
    const terminal = await shell(path.join(dataDir, 'history-consistency'));
    const frozen = cluster.state().nodes[0]!.pid;
    process.kill(frozen, 'SIGSTOP');
    try {
      await run(terminal, 'consistency all');
      expect(await run(terminal, 'put default settings-all v')).toContain(
        'write quorum not reached: 2/3 replicas acknowledged',
      );
      await run(terminal, 'consistency one');
      expect(await run(terminal, 'put default settings-one v')).toBe('OK');
    } finally {
      process.kill(frozen, 'SIGCONT');
    }
  });

  it('completes commands, subcommands and tenants with Tab', async () => {
    const terminal = await shell(path.join(dataDir, 'history-completion'));
    // A completion ends with a space (tmux trims it from the screen; the next word shows it).
    terminal.type('ten');
    terminal.press('Tab');
    terminal.type('cr');
    terminal.press('Tab');
    terminal.type('tabbed-shop');
    await terminal.waitFor(`${PROMPT}tenant create tabbed-shop`, ANSWER_MS);
    terminal.press('C-u');
    await run(terminal, 'tenant create tabbed-shop');
    terminal.type('get tabb');
    terminal.press('Tab');
    terminal.type('k');
    await terminal.waitFor(`${PROMPT}get tabbed-shop k`, ANSWER_MS);
    expect(terminal.currentLine()).toBe(`${PROMPT}get tabbed-shop k`);
  });

  it('keeps history across sessions and quits on Ctrl-D', async () => {
    const history = path.join(dataDir, 'history-kept');
    const first = await shell(history);
    await run(first, 'put default remembered yes');
    first.press('C-d');
    await first.waitFor('[exited 0]', ANSWER_MS);
    expect(readFileSync(history, 'utf8')).toBe('put default remembered yes\n');

    const second = await shell(history);
    second.press('Up');
    await second.waitFor(`${PROMPT}put default remembered yes`, ANSWER_MS);
  });
});
