// The tenant ids `pairdb shell` offers on Tab: `default` (every local cluster has it) and the
// tenants that commands in the history or in this session named, most recent last. Bounded, so a
// long history of generated tenant names cannot grow it without end.
import { DEFAULT_TENANT } from '../cluster/default-tenant';
import { splitWords } from './line-words';

/** More than anyone tabs through; the oldest are forgotten first. */
export const KNOWN_TENANTS_MAX = 200;

/** Commands whose first argument, after the command words, is a tenant id. */
const TENANT_ARGUMENT_AFTER: ReadonlyArray<readonly string[]> = [
  ['put'],
  ['get'],
  ['delete'],
  ['del'],
  ['tenant', 'create'],
  ['tenant', 'get'],
  ['tenant', 'set-rf'],
];

export class KnownTenants {
  private readonly tenants = new Set<string>([DEFAULT_TENANT]);

  /** Remembers the tenant a command line names, if it names one. */
  noteLine(line: string): void {
    let words: string[];
    try {
      words = splitWords(line);
    } catch {
      return;
    }
    const tenant = tenantNamedBy(words);
    if (tenant === undefined) return;
    this.tenants.delete(tenant);
    this.tenants.add(tenant);
    if (this.tenants.size > KNOWN_TENANTS_MAX) {
      this.tenants.delete(this.tenants.values().next().value!);
    }
  }

  list(): string[] {
    return [...this.tenants];
  }
}

function tenantNamedBy(words: readonly string[]): string | undefined {
  const optionAt = words.indexOf('--tenant');
  if (optionAt >= 0) return words[optionAt + 1];
  for (const prefix of TENANT_ARGUMENT_AFTER) {
    if (prefix.every((word, i) => words[i] === word)) {
      return words.slice(prefix.length).find((word) => !word.startsWith('-'));
    }
  }
  return undefined;
}
