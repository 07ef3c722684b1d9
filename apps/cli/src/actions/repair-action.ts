// pairdb repair (commands/repair-command.ts defines its options).
import { CommandError, EXIT_FAILURE, EXIT_INTERRUPTED } from '../exit-codes';
import { toJson } from '../output/json-output';
import { repairScope } from '../repair/repair-text';
import { watchRepair } from '../repair/repair-watch';
import type { Session } from '../session';

interface RepairFlags {
  tenant?: string;
  wait: boolean;
  interval: number;
  json?: boolean;
}

export async function runRepair(session: Session, flags: RepairFlags): Promise<void> {
  const json = session.json(flags.json);
  const client = await session.client();
  const repairId = await client.startRepair(
    flags.tenant === undefined ? {} : { tenantId: flags.tenant },
  );
  const fetch = async () => {
    const repair = (await client.getRepairStatus({ repairId })).repair;
    if (!repair) throw new CommandError(`the coordinator did not answer repair ${repairId}`);
    return repair;
  };
  if (!flags.wait) {
    process.stdout.write(json ? `${toJson(await fetch())}\n` : `${repairId}\n`);
    return;
  }
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  let final;
  try {
    final = await watchRepair({
      fetch,
      output: json ? { write: () => true } : process.stdout,
      intervalMs: flags.interval,
      signal: interrupt.signal,
    });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
  if (json) process.stdout.write(`${toJson(final)}\n`);
  if (interrupt.signal.aborted) {
    throw new CommandError(
      `interrupted; repair ${repairId} goes on (\`pairdb status\` shows its progress)`,
      EXIT_INTERRUPTED,
    );
  }
  if (final.status !== 'completed') {
    throw new CommandError(
      `repair ${repairId} (${repairScope(final)}) ended ${final.status}` +
        (final.message ? `: ${final.message}` : ''),
      EXIT_FAILURE,
    );
  }
}
