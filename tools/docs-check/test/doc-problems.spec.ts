// The checker itself, on a small repository made for each test: each kind of mistake a page can
// make is reported with its line, and a page with none gets no report.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkDoc } from '../src/doc-problems';
import { readReferences } from '../src/markdown-references';
import { RepoIndex } from '../src/repo-index';

const FILES: Record<string, string> = {
  'apps/shop/src/till.ts': [
    'export class Till {',
    '  open(): void {',
    "    audit('open');",
    '  }',
    '  ring(amount: number): number { return prices.total(amount); }',
    '}',
  ].join('\n'),
  'apps/shop/src/prices.ts': [
    'export function total(amount: number): number { return amount; }',
    'export function audit(what: string): void {}',
  ].join('\n'),
  'docs/other.md': '# Other page\n\n## Known heading\n',
};

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'docs-check-'));
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function problemsIn(page: string): string[] {
  return checkDoc('docs/page.md', page, new RepoIndex(root)).problems.map(
    (p) => `${p.line} ${p.kind}: ${p.detail}`,
  );
}

describe('checkDoc', () => {
  it('reports nothing for a page that names only what exists', () => {
    const page = [
      '# Page',
      '',
      '## The till',
      '',
      '1. `apps/shop/src/till.ts`, `Till.open` -> `Till.ring`, which calls `total`',
      '   (`apps/shop/src/prices.ts`; see [the till](#the-till) and',
      '   `docs/other.md#known-heading`).',
    ].join('\n');
    expect(problemsIn(page)).toEqual([]);
  });

  it('reports a repository path that does not exist', () => {
    expect(problemsIn('Lives in `apps/shop/src/register.ts`.')).toEqual([
      '1 missing path: apps/shop/src/register.ts',
    ]);
  });

  it('reports a method missing from the file it is paired with', () => {
    expect(problemsIn('\n`Till.close` (`apps/shop/src/till.ts`) and `Till.open`.')).toEqual([
      '2 name in no source file: Till.close',
      '2 name not in its file: Till.close in apps/shop/src/till.ts',
    ]);
  });

  it('reports a function paired with a file that only calls it', () => {
    expect(problemsIn('`total` in `apps/shop/src/till.ts`; `audit` in `till.ts`.')).toEqual([
      '1 name not in its file: total in apps/shop/src/till.ts',
      '1 name not in its file: audit in till.ts',
    ]);
  });

  it('reports a short path no file ends with, and a name no source file mentions', () => {
    expect(problemsIn('`refund` (`refunds.ts`)')).toEqual([
      '1 name in no source file: refund',
      '1 unknown short path: refunds.ts',
    ]);
  });

  it('reports anchors no heading makes, here and in the page a path names', () => {
    expect(problemsIn('# Page\n\nSee [this](#nowhere) and `docs/other.md#gone`.')).toEqual([
      '3 missing anchor: docs/other.md#gone',
      '3 missing anchor: #nowhere',
    ]);
  });

  it('reports a link to a file that does not exist', () => {
    expect(problemsIn('[formats](format/) and [other](other.md)')).toEqual([
      '1 broken link: docs/format/',
    ]);
  });
});

describe('readReferences', () => {
  it('pairs names with a path in the shapes the page uses, and nothing else', () => {
    const page = [
      '`a/b.ts`, `One.first` -> `One.second`: then `Other`.',
      '',
      '`statusOf` / `errorOf` (`c.ts`), `fromC` in `c.ts`; `near`, `d.ts`.',
      '',
      '`apps/x/y.ts`, decoded by `notPaired`, and `Lone` -> `e.ts`.',
    ].join('\n');
    const pairs = readReferences(page).pairs.map((p) => `${p.name.text}@${p.path.text}`);
    expect(pairs.sort()).toEqual(
      [
        'One.first@a/b.ts',
        'One.second@a/b.ts',
        'statusOf@c.ts',
        'errorOf@c.ts',
        'fromC@c.ts',
        'near@d.ts',
      ].sort(),
    );
  });

  it('tells repository paths, short paths, names and prose apart', () => {
    const kinds = readReferences(
      '`apps/x/` `docs/a.md#b` `write-path.ts` `Engine.put` `next()` `cluster.json` `a: b` `tenant:key`',
    ).spans.map((s) => `${s.text}=${s.kind}`);
    expect(kinds).toEqual([
      'apps/x/=repo-path',
      'docs/a.md#b=repo-path',
      'write-path.ts=short-path',
      'Engine.put=name',
      'next()=name',
      'cluster.json=prose',
      'a: b=prose',
      'tenant:key=prose',
    ]);
  });

  it('skips fenced code and reads headings as GitHub anchors', () => {
    const references = readReferences('## One write, hop by hop\n\n```\n`apps/none.ts`\n```\n');
    expect(references.spans).toEqual([]);
    expect([...references.anchors]).toEqual(['one-write-hop-by-hop']);
  });
});
