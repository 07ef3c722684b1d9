// Client commands, in the manner of redis-cli and etcdctl:
//   pairdb put TENANT KEY [VALUE | -] [--file PATH]   write (VALUE "-" reads stdin)
//   pairdb get TENANT KEY [--json]                    print the value (raw bytes) or all of it
//   pairdb delete TENANT KEY                          write a tombstone
// each with --consistency one|quorum|all and, for writes, --idempotency-key and --context.
// The work is in actions/key-value-actions.ts, loaded when one of them runs.
import type { Command } from 'commander';
import type { KeyFlags, PutFlags, WriteFlags } from '../actions/key-value-actions';
import type { Session } from '../session';
import { consistencyLevel } from '../option-parsers';

export function registerKeyValueCommands(program: Command, session: Session): void {
  const put = program
    .command('put')
    .description('write a value: from the argument, "-" for stdin, or --file')
    .argument('<tenant>', 'tenant id')
    .argument('<key>', 'key (UTF-8, at most 1 KiB)')
    .argument('[value]', 'the value; "-" reads standard input')
    .option('-f, --file <path>', 'read the value from a file');
  writeOptions(put).action(async (tenant: string, key: string, value: string | undefined) => {
    const { putValue } = await import('../actions/key-value-actions.js');
    await putValue(session, { ...put.opts<PutFlags>(), tenant, key, value });
  });

  const get = program
    .command('get')
    .description('print the value of a key (raw bytes); --json for clock and siblings')
    .argument('<tenant>', 'tenant id')
    .argument('<key>', 'key')
    .option('-c, --consistency <level>', 'one | quorum | all (default: quorum)', consistencyLevel)
    .option('--json', 'print key, value, vector clock and every sibling as JSON')
    .action(async (tenant: string, key: string) => {
      const { getValue } = await import('../actions/key-value-actions.js');
      await getValue(session, { ...get.opts<KeyFlags>(), tenant, key });
    });

  const remove = program
    .command('delete')
    .alias('del')
    .description('delete a key (a tombstone, replicated like a write)')
    .argument('<tenant>', 'tenant id')
    .argument('<key>', 'key');
  writeOptions(remove).action(async (tenant: string, key: string) => {
    const { deleteKey } = await import('../actions/key-value-actions.js');
    await deleteKey(session, { ...remove.opts<WriteFlags>(), tenant, key });
  });
}

function writeOptions(command: Command): Command {
  return command
    .option('-c, --consistency <level>', 'one | quorum | all (default: quorum)', consistencyLevel)
    .option(
      '-i, --idempotency-key <key>',
      'repeat-safe: the same key and request apply once (and make retries safe)',
    )
    .option('--context <json>', 'the vector clock this write follows: the output of get --json')
    .option('--json', 'print the full response as JSON');
}
