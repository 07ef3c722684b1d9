// The repository's own files, as a documentation check sees them: which paths exist, which file
// a short path means, and whether a file (or any source file) mentions a name. Generated code,
// builds and installed packages are left out: a name the docs cite must be in code we write.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { partsOfName, REPO_ROOTS } from './markdown-references';

/** Folders never searched: installed, built or generated, or not ours. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'gen', '.nx', 'coverage', 'tmp']);
/** Files whose text is searched for names: code, schemas, configuration. Not prose (`.md`). */
const SOURCE_FILE = /\.(ts|mjs|js|proto|sql|yaml|json)$/;

export class RepoIndex {
  /**
   * The files at the top of the repository and every file under the repository roots, relative
   * to the repository, with `/`.
   */
  readonly files: readonly string[];
  private readonly texts = new Map<string, string>();

  constructor(readonly root: string) {
    const topFiles = readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
    this.files = [...topFiles, ...REPO_ROOTS.flatMap((top) => this.walk(top))];
  }

  /** Whether `path` (relative, `/`-separated; a trailing `/` means a folder) exists. */
  exists(path: string): boolean {
    const full = join(this.root, path);
    if (!existsSync(full)) return false;
    return path.endsWith('/') ? statSync(full).isDirectory() : statSync(full).isFile();
  }

  /** The files a short path such as `compaction/retention.ts` can mean. */
  filesEndingWith(shortPath: string): string[] {
    return this.files.filter((file) => file === shortPath || file.endsWith(`/${shortPath}`));
  }

  /** The files under a folder, or the file itself. */
  filesAt(path: string): string[] {
    if (!path.endsWith('/')) return [path];
    return this.files.filter((file) => file.startsWith(path));
  }

  /** Whether one file mentions every identifier of `name` as a whole word. */
  mentions(file: string, name: string): boolean {
    const text = this.textOf(file);
    return partsOfName(name).every((part) => wordPattern(part).test(text));
  }

  /**
   * Whether `file` mentions every identifier of `name` and defines its last one (see
   * `definitionPattern`): `Engine.put` is defined by engine.ts, not by a file that calls
   * `engine.put(...)`.
   */
  defines(file: string, name: string): boolean {
    if (!this.mentions(file, name)) return false;
    const last = partsOfName(name).at(-1)!;
    return definitionPattern(last).test(this.textOf(file));
  }

  /** The source files that mention `name` (see `mentions`). */
  sourcesMentioning(name: string): string[] {
    return this.files.filter((file) => SOURCE_FILE.test(file) && this.mentions(file, name));
  }

  private textOf(file: string): string {
    let text = this.texts.get(file);
    if (text === undefined) {
      text = readFileSync(join(this.root, file), 'utf8');
      this.texts.set(file, text);
    }
    return text;
  }

  private walk(folder: string): string[] {
    const full = join(this.root, folder);
    if (!existsSync(full)) return [];
    return readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) ? [] : this.walk(path);
      return entry.isFile() ? [path] : [];
    });
  }
}

function escaped(identifier: string): string {
  return identifier.replace(/[$]/g, '\\$');
}

function wordPattern(identifier: string): RegExp {
  return new RegExp(`(?<![\\w$])${escaped(identifier)}(?![\\w$])`);
}

/** Words that declare the name after them, in TypeScript, protobuf and SQL. */
const DECLARING_WORDS =
  'class|function|interface|type|const|let|var|enum|message|service|rpc|TABLE';
/** Words that may stand before a member's name where it is defined. */
const MODIFIERS = 'export|default|async|static|private|public|protected|readonly|override|get|set';

/**
 * A declaration (`class Till`, `function total`), or a line that starts with the name and gives
 * it a body or a signature (`  ring(amount: number) {`, not a call statement ending in `;`) or a
 * value or type (`  onCorruption: (error) =>`, `key_bytes_max: z.number()`). A call inside an
 * expression (`throw total(`, `prices.total(`) is not a definition.
 */
function definitionPattern(identifier: string): RegExp {
  const name = escaped(identifier);
  const lineStart = `^[ \\t]*(?:(?:${MODIFIERS})\\s+)*${name}`;
  return new RegExp(
    [
      `(?:${DECLARING_WORDS})\\s+${name}(?![\\w$])`,
      `${lineStart}\\s*[(<](?![^\\n]*;[ \\t]*$)`,
      `${lineStart}\\s*[?!]?\\s*[:=]`,
    ].join('|'),
    'm',
  );
}
