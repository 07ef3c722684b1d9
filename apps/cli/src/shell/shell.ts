// pairdb shell: an interactive session in the manner of redis-cli and cqlsh. Every line is a
// `pairdb` command without the prefix, run on the one connection the shell opened; a failure
// prints its message and the shell goes on. History (HistoryFile), Tab completion of commands
// and tenants (completion.ts), and two settings that stay until changed: `json on|off` and
// `consistency one|quorum|all|default`. Ctrl-D (or `exit`) quits; Ctrl-C clears the line.
import { createInterface, type Interface } from 'node:readline';
import { CommanderError } from 'commander';
import type { Consistency } from '@pairdb/client';
import { UsageError } from '../exit-codes';
import { buildProgram, reportFailure } from '../program';
import { Session, type ConnectionSettings } from '../session';
import { BUILTIN_COMMANDS, commandTree, completeLine } from './completion';
import { HISTORY_FILE_DEFAULT, HISTORY_LINES_MAX, HistoryFile } from './history-file';
import { KnownTenants } from './known-tenants';
import { splitWords } from './line-words';

export const PROMPT = 'pairdb> ';

export interface ShellFlags {
  /** Where history is kept; "" keeps none. Default ~/.pairdb_history. */
  historyFile?: string;
}

export async function runShell(settings: ConnectionSettings, flags: ShellFlags): Promise<void> {
  const session = new Session(true);
  session.configure(settings);
  const history = new HistoryFile(
    flags.historyFile === '' ? undefined : (flags.historyFile ?? HISTORY_FILE_DEFAULT),
  );
  const tenants = new KnownTenants();
  const past = history.load();
  for (const line of [...past].reverse()) tenants.noteLine(line);
  const tree = commandTree(buildProgram(session));
  const prompt = createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt: PROMPT,
    history: past,
    historySize: HISTORY_LINES_MAX,
    removeHistoryDuplicates: true,
    completer: (line: string) => completeLine(line, tree, tenants.list()),
  });
  process.stdout.write(
    `pairdb shell on ${settings.address}: commands as on the command line, without "pairdb".\n` +
      '`help` lists them; `json on|off` and `consistency one|quorum|all` set this session; ' +
      'Ctrl-D quits.\n',
  );
  try {
    await readLines(prompt, async (line) => {
      history.append(line);
      const outcome = await runLine(session, line);
      if (outcome === 'quit') prompt.close();
      if (outcome === 'ok') tenants.noteLine(line);
    });
  } finally {
    await session.close();
  }
}

/** Prompts until end of input; each line is handled before the next prompt. */
function readLines(prompt: Interface, handle: (line: string) => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let closed = false;
    // Ctrl-C clears the line being typed instead of quitting, as in redis-cli.
    prompt.on('SIGINT', () => {
      prompt.write('', { ctrl: true, name: 'u' });
      process.stdout.write('^C\n');
      prompt.prompt();
    });
    prompt.on('close', () => {
      closed = true;
      process.stdout.write('\n');
      resolve();
    });
    prompt.on('line', (line) => {
      prompt.pause();
      void handle(line).finally(() => {
        if (closed) return;
        prompt.resume();
        prompt.prompt();
      });
    });
    prompt.prompt();
  });
}

/** Runs one line and says how it went. Never throws: a failure is printed. */
async function runLine(session: Session, line: string): Promise<'ok' | 'failed' | 'quit'> {
  try {
    const words = splitWords(line);
    if (words.length === 0) return 'failed';
    if (words[0] === 'exit' || words[0] === 'quit') return 'quit';
    if (words[0]! in BUILTIN_COMMANDS) applySetting(session, words);
    else await buildProgram(session).parseAsync(words, { from: 'user' });
    return 'ok';
  } catch (error) {
    // Commander already printed its own message (help included, which is no failure).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 'ok' : 'failed';
    await reportFailure(error);
    return 'failed';
  }
}

function applySetting(session: Session, words: readonly string[]): void {
  const [name, value, ...extra] = words;
  const allowed = BUILTIN_COMMANDS[name!]!;
  if (extra.length > 0 || (value !== undefined && !allowed.includes(value))) {
    throw new UsageError(`${name} takes ${allowed.length ? allowed.join(' | ') : 'nothing'}`);
  }
  if (name === 'json' && value !== undefined) session.defaults.json = value === 'on';
  if (name === 'consistency' && value !== undefined) {
    session.defaults.consistency = value === 'default' ? undefined : (value as Consistency);
  }
  const consistency = session.defaults.consistency ?? 'quorum (the default)';
  process.stdout.write(
    `json ${session.defaults.json ? 'on' : 'off'}, consistency ${consistency}\n`,
  );
}
