// docs/architecture.md tells a newcomer which file and function a request passes through; this
// keeps it true. Every path it names exists, every anchor it cites is a heading, every name it
// pairs with a file is defined in that file, every other name is in some source file, and every
// section a source comment cites is there. When this fails after a rename or a move, change the
// page (or the code) so they agree again.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkDoc, type Problem, type ProblemKind } from '../src/doc-problems';
import { RepoIndex } from '../src/repo-index';

const ROOT = join(__dirname, '../../..');
const DOC = 'docs/architecture.md';

const repo = new RepoIndex(ROOT);
const { references, problems } = checkDoc(DOC, readFileSync(join(ROOT, DOC), 'utf8'), repo);

function problemsOf(kind: ProblemKind): string[] {
  return problems
    .filter((p: Problem) => p.kind === kind)
    .map((p) => `${DOC}:${p.line}: ${p.detail}`);
}

describe(DOC, () => {
  it('was read: it names many paths and pairs many names with their files', () => {
    // A parser that found nothing would make every check below pass; the page names hundreds.
    expect(references.spans.filter((s) => s.kind === 'repo-path').length).toBeGreaterThan(100);
    expect(references.pairs.length).toBeGreaterThan(50);
  });

  it('names only repository paths that exist', () => {
    expect(problemsOf('missing path')).toEqual([]);
  });

  it('cites only anchors that a heading makes', () => {
    expect(problemsOf('missing anchor')).toEqual([]);
  });

  it('names only short paths that some repository file ends with', () => {
    expect(problemsOf('unknown short path')).toEqual([]);
  });

  it('pairs each function, class or method with a file that has it', () => {
    expect(problemsOf('name not in its file')).toEqual([]);
  });

  it('names nothing that no source file mentions', () => {
    expect(problemsOf('name in no source file')).toEqual([]);
  });

  it('links only to files that exist', () => {
    expect(problemsOf('broken link')).toEqual([]);
  });

  it('has every section that a source comment cites', () => {
    const cited = repo.files
      .filter((file) => /\.(ts|mjs|proto|sql|yaml)$/.test(file))
      .flatMap((file) =>
        [
          ...readFileSync(join(ROOT, file), 'utf8').matchAll(/docs\/architecture\.md#([\w-]+)/g),
        ].map((match) => ({ file, anchor: match[1]! })),
      );
    expect(cited.length).toBeGreaterThan(10);
    const missing = cited
      .filter(({ anchor }) => !references.anchors.has(anchor))
      .map(({ file, anchor }) => `${file}: #${anchor}`);
    expect(missing).toEqual([]);
  });
});
