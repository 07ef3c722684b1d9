// The `pairdb` command line: global options, every command, and the one place a failure
// becomes a message on stderr and an exit code (exit-codes.ts).
import { Command, CommanderError, Option } from 'commander';
import {
  ADDRESS_DEFAULT,
  ConnectionError,
  NotFoundError,
  PairDBError,
  QuorumError,
  TIMEOUT_MS_DEFAULT,
} from '@pairdb/client';
import { registerBenchCommand } from './commands/bench-command';
import { registerClusterCommands } from './commands/cluster-commands';
import { registerKeyValueCommands } from './commands/key-value-commands';
import { registerMigrationCommands } from './commands/migration-commands';
import { registerNodeCommands } from './commands/node-commands';
import { registerStatusCommand } from './commands/status-command';
import { registerTenantCommands } from './commands/tenant-commands';
import { EXIT_CODE_HELP, EXIT_OK, EXIT_USAGE, exitCodeFor } from './exit-codes';
import { integerIn } from './option-parsers';

/** Longest --timeout accepted: a day; anything longer is a typo. */
const TIMEOUT_MS_MAX = 86_400_000;

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('pairdb')
    .description('PairDB: client, admin, local cluster and benchmark')
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
    .addHelpText('after', `\n${EXIT_CODE_HELP}\n`);
  registerKeyValueCommands(program);
  registerTenantCommands(program);
  registerNodeCommands(program);
  registerMigrationCommands(program);
  registerStatusCommand(program);
  registerClusterCommands(program);
  registerBenchCommand(program);
  // Commander reports its own errors through exceptions, so runCli picks the exit code.
  program.exitOverride();
  for (const command of program.commands) exitOverrideDeep(command);
  return program;
}

function exitOverrideDeep(command: Command): void {
  command.exitOverride();
  for (const child of command.commands) exitOverrideDeep(child);
}

/** Runs one command line (without `node` and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end with exitCode 0; everything else is a bad command line.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    process.stderr.write(describeFailure(error));
    return exitCodeFor(error);
  }
}

/** What went wrong, then what to try; names the gRPC status for server errors. */
export function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`pairdb: ${message}${error instanceof PairDBError ? ` (${error.code})` : ''}`];
  const hint = hintFor(error);
  if (hint) lines.push(`hint: ${hint}`);
  return `${lines.join('\n')}\n`;
}

function hintFor(error: unknown): string | undefined {
  if (error instanceof ConnectionError) {
    return (
      'is a cluster running there? Start one with `npm start` (or `pairdb cluster start`), ' +
      'or point --address / PAIRDB_ADDRESS at a coordinator.'
    );
  }
  if (error instanceof QuorumError) {
    return (
      `only ${error.achieved} of the ${error.required} replicas needed answered; ` +
      'check `pairdb status`, or use --consistency one.'
    );
  }
  if (error instanceof NotFoundError && /^tenant "/.test(error.message)) {
    return 'create it with `pairdb tenant create <id>` (the local cluster starts with `default`).';
  }
  return undefined;
}
