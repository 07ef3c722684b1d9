// A real pseudo-terminal for interactive tests: a command runs in a tmux session on a server of
// its own (-L), keys go in with send-keys and the screen comes back with capture-pane. When the
// command exits the pane prints `[exited CODE]` and stays, so a test can read how it ended.
import { spawnSync } from 'node:child_process';

/** Wide enough that no prompt line wraps. */
const COLUMNS = 200;
const ROWS = 50;
/** Scrollback a capture reads. */
const CAPTURE_LINES = 2_000;
const POLL_MS = 100;

let sessions = 0;

export class TmuxTerminal {
  private constructor(private readonly socket: string) {}

  static available(): boolean {
    return spawnSync('tmux', ['-V']).status === 0;
  }

  /** Starts `argv` (quoted for sh) in a fresh terminal with `env` added. */
  static start(argv: readonly string[], env: Record<string, string> = {}): TmuxTerminal {
    const terminal = new TmuxTerminal(`pairdb-test-${process.pid}-${sessions++}`);
    const command = `${argv.map(quote).join(' ')}; echo "[exited $?]"; sleep 3600`;
    terminal.tmux(
      ['new-session', '-d', '-s', 'test', '-x', String(COLUMNS), '-y', String(ROWS), command],
      { ...process.env, ...env },
    );
    return terminal;
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', 'test', '-l', text]);
  }

  /** Presses keys by tmux name: Enter, Tab, Up, C-d, C-u. */
  press(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'test', ...keys]);
  }

  screen(): string {
    return this.tmux(['capture-pane', '-p', '-J', '-t', 'test', '-S', `-${CAPTURE_LINES}`]);
  }

  /** The last non-empty line: where the prompt and what is typed after it are. */
  currentLine(): string {
    const lines = this.screen()
      .split('\n')
      .filter((line) => line.trim() !== '');
    return lines[lines.length - 1] ?? '';
  }

  /** Waits until `expected` occurs `count` times on the screen; fails with the screen. */
  async waitFor(expected: string | RegExp, timeoutMs: number, count = 1): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      const found =
        typeof expected === 'string'
          ? screen.split(expected).length - 1
          : (screen.match(new RegExp(expected.source, `${expected.flags.replace('g', '')}g`)) ?? [])
              .length;
      if (found >= count) return screen;
      if (Date.now() > deadline) {
        throw new Error(`no ${String(expected)} (x${count}) within ${timeoutMs} ms:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }

  private tmux(args: string[], env?: NodeJS.ProcessEnv): string {
    const result = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', env });
    if (result.status !== 0) {
      throw new Error(`tmux ${args.join(' ')} failed: ${result.stderr || result.error}`);
    }
    return result.stdout;
  }
}

function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
