// put, get and delete (commands/key-value-commands.ts defines their arguments and options).
import type { Consistency, ReadResult, WriteResult } from '@pairdb/client';
import { UsageError } from '../exit-codes';
import { encodeBytes, toJson } from '../output/json-output';
import type { Session } from '../session';
import { clockToText, parseClock } from '../values/clock-text';
import { readValue, STDIN_ARGUMENT } from '../values/value-source';

export interface KeyFlags {
  tenant: string;
  key: string;
  consistency?: Consistency;
  json?: boolean;
}

export interface WriteFlags extends KeyFlags {
  idempotencyKey?: string;
  context?: string;
}

export interface PutFlags extends WriteFlags {
  value?: string;
  file?: string;
}

export async function putValue(session: Session, flags: PutFlags): Promise<void> {
  if (session.interactive && flags.value === STDIN_ARGUMENT) {
    throw new UsageError('"-" reads standard input, which the shell is reading: give the value');
  }
  const bytes = await readValue({ argument: flags.value, file: flags.file, stdin: process.stdin });
  const client = await session.client();
  const result = await client.put(flags.tenant, flags.key, bytes, writeOptionsOf(session, flags));
  process.stdout.write(
    session.json(flags.json) ? `${toJson(writeToJson(result))}\n` : okLine(result),
  );
}

export async function getValue(session: Session, flags: KeyFlags): Promise<void> {
  const client = await session.client();
  const read = await client.get(flags.tenant, flags.key, {
    consistency: session.consistency(flags.consistency),
  });
  if (session.json(flags.json)) {
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
}

export async function deleteKey(session: Session, flags: WriteFlags): Promise<void> {
  const client = await session.client();
  const result = await client.delete(flags.tenant, flags.key, writeOptionsOf(session, flags));
  process.stdout.write(session.json(flags.json) ? `${toJson(result)}\n` : 'OK\n');
}

function writeOptionsOf(session: Session, flags: WriteFlags) {
  return {
    consistency: session.consistency(flags.consistency),
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
