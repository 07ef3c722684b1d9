/**
 * Child process of the engine benchmark: opens one engine on a fresh directory, runs one group
 * of workloads (bench-plan.ts), and sends its ChildReport to the parent over IPC.
 */
import { BenchStore, StoreOptions } from './bench-store';
import { ChildPlan, ChildReport, FillFootprint, SEEDS } from './bench-plan';
import { openClassicLevelStore } from './classic-level-store';
import { DataGenerator, KEY_BYTES, VALUE_BYTES, shuffledIndexes } from './data-generator';
import { openPairdbStore } from './pairdb-store';
import {
  directoryBytes,
  peakRssBytes,
  waitForQuietDisk,
  writeSyscallBytes,
} from './process-metrics';
import {
  READ_IN_FLIGHT,
  fillBatch,
  fillRandom,
  fillSequential,
  fillSync,
  readMissing,
  readRandom,
  seekScan,
} from './workloads';

function openStore(plan: ChildPlan, durable: boolean): Promise<BenchStore> {
  const options: StoreOptions = { dir: plan.dir, durable };
  return plan.engine === 'pairdb' ? openPairdbStore(options) : openClassicLevelStore(options);
}

async function runGroup(plan: ChildPlan): Promise<ChildReport> {
  const data = new DataGenerator(SEEDS.values);
  const { sizes } = plan;
  const store = await openStore(plan, plan.group === 'fillsync');
  const report: ChildReport = {
    engine: plan.engine,
    group: plan.group,
    settings: store.describe(),
    workloads: {},
    peakRssBytes: 0,
  };
  try {
    if (plan.group === 'fillseq') {
      report.workloads.fillseq = await fillSequential(store, data, sizes.entries);
    } else if (plan.group === 'fillbatch') {
      report.workloads.fillbatch = await fillBatch(store, data, sizes.entries);
    } else if (plan.group === 'fillsync') {
      report.workloads.fillsync = await fillSync(store, data, sizes.syncWrites);
    } else {
      await fillRandomThenRead(plan, store, data, report);
    }
  } finally {
    await store.close();
  }
  report.peakRssBytes = peakRssBytes();
  return report;
}

async function fillRandomThenRead(
  plan: ChildPlan,
  store: BenchStore,
  data: DataGenerator,
  report: ChildReport,
): Promise<void> {
  const { entries } = plan.sizes;
  const order = shuffledIndexes(entries, SEEDS.fillOrder);
  const writtenBefore = writeSyscallBytes();
  report.workloads.fillrandom = await fillRandom(store, data, order);
  report.fill = await measureFill(plan, store, entries, writtenBefore);
  const read = (reads: number, inFlight: number, seed: number) => ({
    entries,
    reads,
    inFlight,
    seed,
  });
  report.workloads['readrandom-1'] = await readRandom(
    store,
    data,
    read(plan.sizes.readsOneInFlight, 1, SEEDS.readrandom),
  );
  report.workloads['readrandom-64'] = await readRandom(
    store,
    data,
    read(plan.sizes.readsInFlight, READ_IN_FLIGHT, SEEDS.readrandom),
  );
  report.workloads.readmissing = await readMissing(
    store,
    data,
    read(plan.sizes.readsInFlight, READ_IN_FLIGHT, SEEDS.readmissing),
  );
  report.workloads.seekscan = await seekScan(
    store,
    data,
    entries,
    plan.sizes.seeks,
    SEEDS.seekscan,
  );
}

async function measureFill(
  plan: ChildPlan,
  store: BenchStore,
  entries: number,
  writtenBefore: number | undefined,
): Promise<FillFootprint> {
  const peakRss = peakRssBytes();
  const settleSeconds = await waitForQuietDisk();
  const writtenAfter = writeSyscallBytes();
  const engineBytesWritten = store.engineBytesWritten();
  return {
    peakRssBytes: peakRss,
    userBytes: entries * (KEY_BYTES + VALUE_BYTES),
    ...(writtenBefore !== undefined && writtenAfter !== undefined
      ? { writeSyscallBytes: writtenAfter - writtenBefore }
      : {}),
    ...(engineBytesWritten !== undefined ? { engineBytesWritten } : {}),
    bytesOnDisk: directoryBytes(plan.dir),
    settleSeconds,
  };
}

/** Without an IPC channel (run by hand, e.g. under --cpu-prof) the report goes to stdout. */
function main(): void {
  const plan = JSON.parse(process.argv[2] ?? '') as ChildPlan;
  runGroup(plan).then(
    (report) => {
      if (process.send) process.send(report, () => process.exit(0));
      else console.log(JSON.stringify(report, null, 2));
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

main();
