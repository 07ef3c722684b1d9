// What a markdown page names in backticks and links, read the way docs/architecture.md writes
// it, so a test can check each name against the repository.
//
// A page is split into blocks (a paragraph, a list item, a table row); within a block a code
// span is one of:
// - a repository path: `apps/...`, `libs/...`, `proto/...`, `docs/...`, `migrations/...` or
//   `tools/...`, a file or (ending in `/`) a folder, optionally with a `#heading` anchor;
// - a short path: a file name with an extension, or a path under some folder
//   (`write-path.ts`, `compaction/retention.ts`), named inside a paragraph about its folder;
// - a name: an identifier, or identifiers joined by dots (`Engine.put`, `limits.key_bytes_max`,
//   `HybridLogicalClock.next()`);
// - anything else (`tenant:key`, `sync_policy: always`), which is prose and not checked.
//
// The page pairs a name with a path in these shapes, and only these:
//   `name` (`path`...       `name` in `path`       `name`, `path`
//   `path`, `name` -> `name` -> ...   (a hop: the file, then the functions it runs in turn)
// Names joined by " / ", " or ", " and " or ", " before the path all pair with it:
// `statusCodeOf` / `toGrpcError` (`...`), `encodeWriteRequest` or `encodeDeleteRequest` (`...`).
// A name between two paths (`a.ts`, `name`, `b.ts`) pairs with both: write such a list another
// way, or the check will hold the name to both files.

export type SpanKind = 'repo-path' | 'short-path' | 'name' | 'prose';

export interface CodeSpan {
  readonly text: string;
  readonly kind: SpanKind;
  /** 1-based line of the page the span's block starts on. */
  readonly line: number;
}

export interface NamePathPair {
  readonly name: CodeSpan;
  readonly path: CodeSpan;
}

export interface Link {
  readonly target: string;
  readonly line: number;
}

export interface MarkdownReferences {
  readonly spans: readonly CodeSpan[];
  readonly pairs: readonly NamePathPair[];
  readonly links: readonly Link[];
  /** The anchors of the page's headings, as GitHub makes them. */
  readonly anchors: ReadonlySet<string>;
}

/** The top-level folders of the repository that the pages name paths under. */
export const REPO_ROOTS = ['apps', 'libs', 'proto', 'docs', 'migrations', 'tools'] as const;

const REPO_PATH = new RegExp(`^(${REPO_ROOTS.join('|')})/[\\w.\\-/]*(#[\\w-]+)?$`);
/** Extensions of repository files a page names by their short path (not runtime files). */
const SHORT_PATH = /^[\w.-]+(\/[\w.-]+)*\.(ts|mjs|proto|sql|yaml|md)$/;
/** Files that are not in the repository but made at run time (`cluster.json`, `NNNNNN.log`). */
const RUNTIME_FILE = /\.(json|log|sst)$/;
const NAME = /^[A-Za-z][\w$]*(\.[A-Za-z_][\w$]*)*(\(\))?$/;

export function kindOf(text: string): SpanKind {
  if (REPO_PATH.test(text)) return 'repo-path';
  if (SHORT_PATH.test(text)) return 'short-path';
  if (NAME.test(text) && !RUNTIME_FILE.test(text)) return 'name';
  return 'prose';
}

/** The identifiers a name is made of: `HybridLogicalClock.next()` -> HybridLogicalClock, next. */
export function partsOfName(name: string): string[] {
  return name.replace(/\(\)$/, '').split('.');
}

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to `-`. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
}

interface Block {
  readonly text: string;
  readonly line: number;
}

const BLOCK_START = /^\s*(?:[-*] |\d+\.\s|\|)/;

function blocksOf(markdown: string): { blocks: Block[]; headings: string[] } {
  const blocks: Block[] = [];
  const headings: string[] = [];
  let current: string[] = [];
  let startLine = 0;
  let fenced = false;
  const close = () => {
    if (current.length > 0) blocks.push({ text: current.join(' '), line: startLine });
    current = [];
  };
  markdown.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('```')) {
      close();
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    if (line === '') return close();
    const heading = /^#+\s+(.*)$/.exec(line);
    if (heading) {
      close();
      headings.push(heading[1]!);
      return;
    }
    if (BLOCK_START.test(raw)) close();
    if (current.length === 0) startLine = index + 1;
    current.push(line);
  });
  close();
  return { blocks, headings };
}

/** What joins names that share the path after them: `a` / `b`, `a` or `b`, `a`, `b` and `c`. */
const NAME_JOINS = [' / ', ' or ', ' and ', ', '];

function pairsOf(spans: readonly CodeSpan[], gaps: readonly string[]): NamePathPair[] {
  const pairs: NamePathPair[] = [];
  const isPath = (span: CodeSpan | undefined) =>
    span?.kind === 'repo-path' || span?.kind === 'short-path';
  // gaps[i] is the text between spans[i - 1] and spans[i].
  spans.forEach((span, i) => {
    const next = spans[i + 1];
    const gapAfter = gaps[i + 1];
    if (span.kind === 'name' && isPath(next) && [' (', ' in ', ', '].includes(gapAfter!)) {
      for (let j = i; j >= 0 && spans[j]!.kind === 'name'; j--) {
        pairs.push({ name: spans[j]!, path: next! });
        if (!NAME_JOINS.includes(gaps[j]!)) break;
      }
    }
    if (isPath(span) && next?.kind === 'name' && gapAfter === ', ') {
      for (let j = i + 1; spans[j]?.kind === 'name'; j++) {
        pairs.push({ name: spans[j]!, path: span });
        if (gaps[j + 1] !== ' -> ') break;
      }
    }
  });
  return pairs;
}

export function readReferences(markdown: string): MarkdownReferences {
  const { blocks, headings } = blocksOf(markdown);
  const spans: CodeSpan[] = [];
  const pairs: NamePathPair[] = [];
  const links: Link[] = [];
  for (const block of blocks) {
    const blockSpans: CodeSpan[] = [];
    const gaps: string[] = [];
    let end = 0;
    for (const match of block.text.matchAll(/`([^`]+)`/g)) {
      gaps.push(block.text.slice(end, match.index));
      end = match.index + match[0].length;
      blockSpans.push({ text: match[1]!, kind: kindOf(match[1]!), line: block.line });
    }
    spans.push(...blockSpans);
    pairs.push(...pairsOf(blockSpans, gaps));
    // Links outside code spans only: a span may show link syntax as text.
    const prose = block.text.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      links.push({ target: match[1]!, line: block.line });
    }
  }
  return { spans, pairs, links, anchors: new Set(headings.map(anchorOf)) };
}
