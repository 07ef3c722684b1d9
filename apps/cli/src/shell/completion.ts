// Tab completion in `pairdb shell`: command and subcommand names, option names, the values of
// the shell's settings, and tenant ids where a command takes one. The coordinator has no call
// that lists tenants, so the tenants offered are `default` and those the history and this
// session named (known-tenants.ts).
import type { Command } from 'commander';
import { CONSISTENCY_LEVELS } from '../client-values';

/** A command's name (and aliases), its subcommands and its options, as commander defines them. */
export interface CommandNode {
  readonly names: readonly string[];
  readonly subcommands: readonly CommandNode[];
  readonly options: readonly string[];
}

export function commandTree(command: Command): CommandNode {
  return {
    names: [command.name(), ...command.aliases()],
    subcommands: command.commands.map(commandTree),
    options: command.options.flatMap((option) => (option.long ? [option.long] : [])),
  };
}

/** The shell's own commands and the values each takes. */
export const BUILTIN_COMMANDS: Readonly<Record<string, readonly string[]>> = {
  json: ['on', 'off'],
  consistency: [...CONSISTENCY_LEVELS, 'default'],
  settings: [],
  exit: [],
  quit: [],
};

/** Commands whose first argument is a tenant id. */
const TENANT_FIRST: ReadonlySet<string> = new Set([
  'put',
  'get',
  'delete',
  'del',
  'tenant get',
  'tenant set-rf',
]);
const TENANT_OPTIONS: ReadonlySet<string> = new Set(['--tenant']);
const CONSISTENCY_OPTIONS: ReadonlySet<string> = new Set(['-c', '--consistency']);

/** node:readline's completer: the candidates for the word before the cursor, and that word. */
export function completeLine(
  line: string,
  program: CommandNode,
  tenants: Iterable<string>,
): [string[], string] {
  const words = line.trimStart().split(/\s+/);
  const current = words.pop() ?? '';
  const candidates = candidatesAfter(words, current, program, [...tenants]);
  const hits = [...new Set(candidates)].filter((candidate) => candidate.startsWith(current));
  // A single match is a whole word: the space after it saves a keystroke, as in bash.
  return [hits.length === 1 ? [`${hits[0]} `] : hits.sort(), current];
}

function candidatesAfter(
  before: string[],
  current: string,
  program: CommandNode,
  tenants: string[],
): string[] {
  if (before.length === 0) {
    return [...program.subcommands.flatMap((node) => node.names), ...Object.keys(BUILTIN_COMMANDS)];
  }
  const builtin = BUILTIN_COMMANDS[before[0]!];
  if (builtin) return before.length === 1 ? [...builtin] : [];
  const path: string[] = [];
  let node: CommandNode | undefined = program;
  let rest = before;
  while (rest.length > 0 && node) {
    const next: CommandNode | undefined = node.subcommands.find((child) =>
      child.names.includes(rest[0]!),
    );
    if (!next) break;
    path.push(next.names[0]!);
    node = next;
    rest = rest.slice(1);
  }
  if (!node || node === program) return [];
  if (rest.length === 0 && node.subcommands.length > 0) {
    return node.subcommands.flatMap((child) => child.names);
  }
  const previous = rest[rest.length - 1];
  if (previous !== undefined && TENANT_OPTIONS.has(previous)) return tenants;
  if (previous !== undefined && CONSISTENCY_OPTIONS.has(previous)) return [...CONSISTENCY_LEVELS];
  if (current.startsWith('-')) return [...node.options];
  const positional = rest.filter((word) => !word.startsWith('-')).length;
  return positional === 0 && TENANT_FIRST.has(path.join(' ')) ? tenants : [];
}
