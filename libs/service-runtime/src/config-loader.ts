// Loads a process's configuration: a YAML file (the seed's config.yaml shape) overridden by
// PAIRDB_* environment variables, validated by a zod schema. Every field of the schema has a
// default, so the names of the environment variables are derived from the defaults:
// `consistency.write_timeout` is overridden by PAIRDB_CONSISTENCY_WRITE_TIMEOUT.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

export const ENV_PREFIX = 'PAIRDB_';

export interface ConfigIssue {
  /** Dotted path of the field, e.g. `server.port`. */
  field: string;
  value: unknown;
  message: string;
  /** Where the value came from: the file path, an environment variable or `default`. */
  source: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      'invalid configuration: ' +
        issues
          .map(
            (i) =>
              `${i.field}: ${i.message} (got ${JSON.stringify(i.value) ?? 'nothing'} from ${i.source})`,
          )
          .join('; '),
    );
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** YAML file; absent means defaults and environment only. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra environment names for a dotted field, e.g. PAIRDB_PG_URL -> database.url. */
  aliases?: Record<string, string>;
}

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function leafPaths(tree: Tree, prefix: string[] = []): string[][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    isTree(value) ? leafPaths(value, [...prefix, key]) : [[...prefix, key]],
  );
}

function getPath(tree: unknown, path: readonly PropertyKey[]): unknown {
  let node = tree;
  for (const key of path) {
    if (!isTree(node)) return undefined;
    node = node[key as string];
  }
  return node;
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    if (!isTree(node[key])) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

function readYaml(file: string): Tree {
  let textContent: string;
  try {
    textContent = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([
      { field: 'file', value: file, message: (error as Error).message, source: 'command line' },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(textContent);
  } catch (error) {
    throw new ConfigError([
      {
        field: 'file',
        value: file,
        message: `not valid YAML: ${(error as Error).message}`,
        source: file,
      },
    ]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isTree(parsed)) {
    throw new ConfigError([
      { field: 'file', value: file, message: 'expected a YAML mapping at the top', source: file },
    ]);
  }
  return parsed;
}

/** A file's field is known when the defaults hold it (or a value, not a section, above it). */
function isKnownPath(defaults: Tree, path: readonly string[]): boolean {
  let node: unknown = defaults;
  for (const key of path) {
    if (!isTree(node)) return true;
    if (!Object.hasOwn(node, key)) return false;
    node = node[key];
  }
  return true;
}

/** The environment variable that overrides a dotted field path. */
export function envNameFor(path: readonly string[]): string {
  return ENV_PREFIX + path.join('_').toUpperCase();
}

export function loadConfig<S extends z.ZodType>(
  schema: S,
  options: LoadConfigOptions = {},
): z.output<S> {
  const env = options.env ?? process.env;
  const raw: Tree = options.file ? readYaml(options.file) : {};
  const sources = new Map<string, string>();
  for (const path of leafPaths(raw)) sources.set(path.join('.'), options.file!);

  const defaults = schema.parse({}) as Tree;
  // zod drops keys it does not know; an operator's typo would silently leave the default.
  const unknown = leafPaths(raw).filter((path) => !isKnownPath(defaults, path));
  if (unknown.length > 0) {
    throw new ConfigError(
      unknown.map((path) => ({
        field: path.join('.'),
        value: getPath(raw, path),
        message: 'is not a known setting (see config.example.yaml for every key)',
        source: options.file!,
      })),
    );
  }
  const overrides = new Map<string, string[]>();
  for (const path of leafPaths(defaults)) overrides.set(envNameFor(path), path);
  for (const [name, dotted] of Object.entries(options.aliases ?? {})) {
    overrides.set(name, dotted.split('.'));
  }
  for (const [name, path] of overrides) {
    const value = env[name];
    if (value === undefined) continue;
    setPath(raw, path, value);
    sources.set(path.join('.'), `environment ${name}`);
  }

  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const field = issue.path.join('.');
      return {
        field,
        value: getPath(raw, issue.path),
        message: issue.message,
        source: sources.get(field) ?? 'default',
      };
    }),
  );
}
