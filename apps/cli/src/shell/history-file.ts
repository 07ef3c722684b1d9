// The shell's command history on disk, one line per command, oldest first, in the manner of
// ~/.rediscli_history. A history that cannot be read or written never stops the shell.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';

/** Commands kept, in memory and on disk; older ones are dropped. */
export const HISTORY_LINES_MAX = 1_000;
export const HISTORY_FILE_DEFAULT = path.join(homedir(), '.pairdb_history');

export class HistoryFile {
  /** `file` undefined keeps no history on disk. */
  constructor(private readonly file: string | undefined) {}

  /** The stored commands, newest first (as node:readline wants them). */
  load(): string[] {
    if (!this.file) return [];
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    const kept = lines.slice(-HISTORY_LINES_MAX);
    // Rewrite a file grown past the bound, so it stays bounded too.
    if (kept.length < lines.length) this.tryWrite(`${kept.join('\n')}\n`);
    return kept.reverse();
  }

  append(line: string): void {
    if (!this.file || line.trim() === '') return;
    try {
      appendFileSync(this.file, `${line.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
    } catch {
      // A read-only home is no reason to refuse commands.
    }
  }

  private tryWrite(text: string): void {
    try {
      writeFileSync(this.file!, text, { mode: 0o600 });
    } catch {
      // As above.
    }
  }
}
