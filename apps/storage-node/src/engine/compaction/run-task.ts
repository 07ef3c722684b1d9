/**
 * The body of a flush or compaction: merge the inputs, keep what retention.ts says survives, and
 * write SSTables. Runs inside the background worker thread (engine-worker.ts); tests may call it
 * directly. Every output is fsynced by the SSTable writer before the result is returned; on any
 * error the outputs written so far are removed and the error propagates.
 */
import fs from 'node:fs';
import { Entry, EntryKind } from '../entry';
import { imageEntries } from '../memtable';
import { mergeEntries } from '../merge';
import { SSTableMeta, SSTableReader, SSTableWriter } from '../sstable';
import { retainedEntries } from './retention';
import {
  BackgroundTask,
  CompactionTask,
  FlushTask,
  OutputTable,
  TableOptions,
  TaskResult,
} from './tasks';

/** Approximate per-entry bytes in a table beyond key and value, for cutting outputs by size. */
const ENTRY_OVERHEAD_BYTES = 16;

export function runTask(task: BackgroundTask): TaskResult {
  return task.kind === 'flush' ? runFlush(task) : runCompaction(task);
}

function runFlush(task: FlushTask): TaskResult {
  const counted = countEntries(imageEntries(task.memtable));
  const outputs = writeOutputs(
    retainedEntries(counted.entries, task.retention),
    [{ path: task.path, fileNumber: task.fileNumber }],
    Number.POSITIVE_INFINITY,
    task.table,
  );
  return summarize(outputs, counted.stats, 0);
}

function runCompaction(task: CompactionTask): TaskResult {
  const readers: SSTableReader[] = [];
  try {
    for (const input of task.inputs) {
      readers.push(SSTableReader.open(input.path, { fileNumber: input.fileNumber }));
    }
    const merged = mergeEntries(readers.map((reader) => reader.entries({ fillCache: false })));
    const counted = countEntries(merged);
    const outputs = writeOutputs(
      retainedEntries(counted.entries, task.retention),
      task.outputs,
      task.targetFileBytes,
      task.table,
    );
    const bytesRead = readers.reduce((sum, reader) => sum + reader.meta.bytes, 0);
    return summarize(outputs, counted.stats, bytesRead);
  } finally {
    for (const reader of readers) reader.close();
  }
}

/**
 * Writes `entries` into the given files in order, starting the next one at a key boundary once
 * the current one reaches targetBytes (never splitting a key's versions, so outputs of one level
 * never overlap). Empty outputs are not created.
 */
function writeOutputs(
  entries: Iterable<Entry>,
  files: readonly { path: string; fileNumber: number }[],
  targetBytes: number,
  table: TableOptions,
): OutputTable[] {
  const outputs: OutputTable[] = [];
  let writer: SSTableWriter | undefined;
  let fileIndex = 0;
  let writtenBytes = 0;
  let previousKey: Buffer | undefined;
  try {
    for (const entry of entries) {
      const keyChanged = previousKey === undefined || !previousKey.equals(entry.key);
      if (writer && keyChanged && writtenBytes >= targetBytes && fileIndex < files.length - 1) {
        outputs.push(finishOutput(writer, files[fileIndex]!.fileNumber));
        writer = undefined;
        fileIndex++;
      }
      if (!writer) {
        writer = new SSTableWriter(files[fileIndex]!.path, table);
        writtenBytes = 0;
      }
      writer.add(entry);
      writtenBytes += entry.key.length + entry.value.length + ENTRY_OVERHEAD_BYTES;
      previousKey = entry.key;
    }
    if (writer) outputs.push(finishOutput(writer, files[fileIndex]!.fileNumber));
    writer = undefined;
    return outputs;
  } catch (error) {
    writer?.abort();
    for (const output of outputs) fs.rmSync(output.path, { force: true });
    throw error;
  }
}

function finishOutput(writer: SSTableWriter, fileNumber: number): OutputTable {
  const meta: SSTableMeta = writer.finish();
  return {
    fileNumber,
    path: meta.path,
    bytes: meta.bytes,
    entryCount: meta.entryCount,
    smallestKey: meta.smallestKey,
    largestKey: meta.largestKey,
    minSeq: meta.minSeq,
    maxSeq: meta.maxSeq,
    tombstoneCount: meta.tombstoneCount,
  };
}

interface EntryStats {
  entriesRead: number;
  tombstonesRead: number;
}

function countEntries(source: Iterable<Entry>): { entries: Iterable<Entry>; stats: EntryStats } {
  const stats: EntryStats = { entriesRead: 0, tombstonesRead: 0 };
  function* counting(): IterableIterator<Entry> {
    for (const entry of source) {
      stats.entriesRead++;
      if (entry.kind === EntryKind.Delete) stats.tombstonesRead++;
      yield entry;
    }
  }
  return { entries: counting(), stats };
}

function summarize(outputs: OutputTable[], stats: EntryStats, bytesRead: number): TaskResult {
  return {
    outputs,
    bytesRead,
    bytesWritten: outputs.reduce((sum, output) => sum + output.bytes, 0),
    entriesRead: stats.entriesRead,
    entriesWritten: outputs.reduce((sum, output) => sum + output.entryCount, 0),
  };
}
