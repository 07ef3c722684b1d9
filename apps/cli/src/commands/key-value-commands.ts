// Client commands, in the manner of redis-cli and etcdctl:
//   pairdb put TENANT KEY [VALUE | -] [--file PATH]   write (VALUE "-" reads stdin)
//   pairdb get TENANT KEY [--json]                    print the value (raw bytes) or all of it
//   pairdb delete TENANT KEY                          write a tombstone
// each with --consistency one|quorum|all and, for writes, --idempotency-key and --context.
import type { Command } from 'commander';
import type { Consistency, ReadResult, WriteResult } from '@pairdb/client';
import { withClient } from '../client-session';
import { consistencyLevel } from '../option-parsers';
import { encodeBytes, toJson } from '../output/json-output';
import { clockToText, parseClock } from '../values/clock-text';
import { readValue } from '../values/value-source';

interface WriteFlags {
  consistency?: Consistency;
  idempotencyKey?: string;
  context?: string;
  json?: boolean;
}

export function registerKeyValueCommands(program: Command): void {
  const put = program
    .command('put')
    .description('write a value: from the argument, "-" for stdin, or --file')
    .argument('<tenant>', 'tenant id')
    .argument('<key>', 'key (UTF-8, at most 1 KiB)')
    .argument('[value]', 'the value; "-" reads standard input')
    .option('-f, --file <path>', 'read the value from a file');
  writeOptions(put).action(async (tenant: string, key: string, value: string | undefined) => {
    const flags = put.opts<WriteFlags & { file?: string }>();
    const bytes = await readValue({ argument: value, file: flags.file, stdin: process.stdin });
    const result = await withClient(put, (client) =>
      client.put(tenant, key, bytes, writeOptionsOf(flags)),
    );
    process.stdout.write(flags.json ? `${toJson(writeToJson(result))}\n` : okLine(result));
  });

  const get = program
    .command('get')
    .description('print the value of a key (raw bytes); --json for clock and siblings')
    .argument('<tenant>', 'tenant id')
    .argument('<key>', 'key')
    .option('-c, --consistency <level>', 'one | quorum | all (default: quorum)', consistencyLevel)
    .option('--json', 'print key, value, vector clock and every sibling as JSON')
    .action(async (tenant: string, key: string) => {
      const flags = get.opts<{ consistency?: Consistency; json?: boolean }>();
      const read = await withClient(get, (client) =>
        client.get(tenant, key, { consistency: flags.consistency }),
      );
      if (flags.json) {
        process.stdout.write(`${toJson(readToJson(read))}\n`);
        return;
      }
      process.stdout.write(read.value);
      if (process.stdout.isTTY) process.stdout.write('\n');
      if (read.siblings.length > 1) {
        process.stderr.write(
          `note: ${read.siblings.length} concurrent values (siblings); this is the first. ` +
            'See them all with --json, resolve by writing with --context.\n',
        );
      }
    });

  const remove = program
    .command('delete')
    .alias('del')
    .description('delete a key (a tombstone, replicated like a write)')
    .argument('<tenant>', 'tenant id')
    .argument('<key>', 'key');
  writeOptions(remove).action(async (tenant: string, key: string) => {
    const flags = remove.opts<WriteFlags>();
    const result = await withClient(remove, (client) =>
      client.delete(tenant, key, writeOptionsOf(flags)),
    );
    process.stdout.write(flags.json ? `${toJson(result)}\n` : 'OK\n');
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

function writeOptionsOf(flags: WriteFlags) {
  return {
    consistency: flags.consistency,
    idempotencyKey: flags.idempotencyKey,
    context: flags.context === undefined ? undefined : parseClock(flags.context),
  };
}

function okLine(result: WriteResult): string {
  return result.isDuplicate
    ? 'OK (duplicate: the stored answer of the first request with this idempotency key)\n'
    : 'OK\n';
}

function writeToJson(result: WriteResult) {
  return { ...result, vectorClock: clockToText(result.vectorClock) };
}

function readToJson(read: ReadResult) {
  return {
    key: read.key,
    ...encodeBytes(read.value),
    vectorClock: clockToText(read.vectorClock),
    siblings: read.siblings.map((sibling) => ({
      ...encodeBytes(sibling.value),
      dot: sibling.dot ? clockToText([sibling.dot])[0] : null,
    })),
  };
}
