// The `pairdb` command line: global options, every command (commands/command-registry.ts), and
// the one place a failure becomes a message on stderr and an exit code. Only commander and the
// command definitions load here; a command's implementation loads when it runs
// (docs/architecture.md#the-pairdb-command).
import { Command, CommanderError, Option } from 'commander';
import { ADDRESS_DEFAULT, TIMEOUT_MS_DEFAULT } from './client-values';
import { COMMAND_GROUPS } from './commands/command-registry';
import { EXIT_CODE_HELP, EXIT_OK, EXIT_USAGE } from './exit-codes';
import { integerIn } from './option-parsers';
import { Session } from './session';

/** Longest --timeout accepted: a day; anything longer is a typo. */
const TIMEOUT_MS_MAX = 86_400_000;

export const VERSION = '0.1.0';

const SHELL_HELP = `In the shell, type the commands without "pairdb". Also:
  json on|off                           print every result as JSON (each command's --json)
  consistency one|quorum|all|default    for every get, put and delete (each one's --consistency)
  settings                              show both
  exit, quit or Ctrl-D                  leave the shell`;

interface GlobalFlags {
  address: string;
  timeout: number;
}

/**
 * The program for one command line, or (for an interactive session) for one line of
 * `pairdb shell`: the same commands, less those that need the process to themselves, and no
 * global options (the shell keeps the connection it started with).
 */
export function buildProgram(session: Session): Command {
  const program = new Command('pairdb');
  if (session.interactive) program.addHelpText('after', `\n${SHELL_HELP}`);
  else addGlobalOptions(program, session);
  for (const group of COMMAND_GROUPS) {
    if (!session.interactive || group.inShell) group.register(program, session);
  }
  // Commander reports its own errors through exceptions, so the caller picks the exit code.
  exitOverrideDeep(program);
  return program;
}

function addGlobalOptions(program: Command, session: Session): void {
  program
    .description('PairDB: client, admin, interactive shell, local cluster and benchmark')
    .version(VERSION)
    .addOption(
      new Option('-a, --address <host:port>', 'coordinator to talk to')
        .env('PAIRDB_ADDRESS')
        .default(ADDRESS_DEFAULT),
    )
    .addOption(
      new Option('-t, --timeout <ms>', 'deadline of each request, retries included')
        .env('PAIRDB_TIMEOUT_MS')
        .default(TIMEOUT_MS_DEFAULT)
        .argParser(integerIn(1, TIMEOUT_MS_MAX)),
    )
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\n${EXIT_CODE_HELP}\n`)
    .hook('preAction', (_program, action) => {
      const flags = action.optsWithGlobals<GlobalFlags>();
      session.configure({ address: flags.address, timeoutMs: flags.timeout });
    });
}

function exitOverrideDeep(command: Command): void {
  command.exitOverride();
  for (const child of command.commands) exitOverrideDeep(child);
}

/** Runs one command line (without `node` and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const session = new Session();
  try {
    await buildProgram(session).parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    return reportFailure(error);
  } finally {
    await session.close();
  }
}

/** Prints why a command failed (commander prints its own) and resolves to its exit code. */
export async function reportFailure(error: unknown): Promise<number> {
  if (error instanceof CommanderError) {
    // Help and --version end with exitCode 0; everything else is a bad command line.
    return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  const { describeFailure, exitCodeFor } = await import('./failure-report.js');
  process.stderr.write(describeFailure(error));
  return exitCodeFor(error);
}
