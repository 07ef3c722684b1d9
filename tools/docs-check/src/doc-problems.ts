// Everything a markdown page names that the repository does not bear out: a path that does not
// exist, an anchor no heading makes, a name missing from the file the page pairs it with, a name
// no source file mentions. Each problem says what the page wrote and on which line.
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { readReferences, type CodeSpan, type MarkdownReferences } from './markdown-references';
import type { RepoIndex } from './repo-index';

export type ProblemKind =
  | 'missing path'
  | 'missing anchor'
  | 'unknown short path'
  | 'name not in its file'
  | 'name in no source file'
  | 'broken link';

export interface Problem {
  readonly kind: ProblemKind;
  readonly line: number;
  readonly detail: string;
}

/** What the checks saw, so a test can tell an empty result from a page that was not read. */
export interface DocCheck {
  readonly references: MarkdownReferences;
  readonly problems: readonly Problem[];
}

export function checkDoc(docPath: string, markdown: string, repo: RepoIndex): DocCheck {
  const references = readReferences(markdown);
  const problems: Problem[] = [];
  const report = (kind: ProblemKind, line: number, detail: string) =>
    problems.push({ kind, line, detail });
  const anchorsIn = (path: string): ReadonlySet<string> =>
    path === docPath
      ? references.anchors
      : readReferences(readFileSync(join(repo.root, path), 'utf8')).anchors;

  const checkTarget = (target: string, line: number, what: ProblemKind) => {
    const [path, anchor] = target.split('#') as [string, string | undefined];
    if (!repo.exists(path)) return report(what, line, target);
    if (anchor !== undefined && path.endsWith('.md') && !anchorsIn(path).has(anchor)) {
      report('missing anchor', line, target);
    }
  };

  for (const span of references.spans) {
    if (span.kind === 'repo-path') checkTarget(span.text, span.line, 'missing path');
    if (span.kind === 'short-path' && repo.filesEndingWith(span.text).length === 0) {
      report('unknown short path', span.line, span.text);
    }
    if (span.kind === 'name' && repo.sourcesMentioning(span.text).length === 0) {
      report('name in no source file', span.line, span.text);
    }
  }

  for (const { name, path } of references.pairs) {
    const files = filesNamedBy(path, repo);
    if (files.length > 0 && !files.some((file) => repo.defines(file, name.text))) {
      report('name not in its file', name.line, `${name.text} in ${path.text}`);
    }
  }

  for (const link of references.links) {
    if (/^[a-z]+:/.test(link.target)) continue; // an external address
    if (link.target.startsWith('#')) {
      if (!references.anchors.has(link.target.slice(1))) {
        report('missing anchor', link.line, link.target);
      }
      continue;
    }
    checkTarget(posix.join(posix.dirname(docPath), link.target), link.line, 'broken link');
  }
  return { references, problems };
}

/** The files a path span stands for; empty when it names nothing (reported on its own). */
function filesNamedBy(path: CodeSpan, repo: RepoIndex): string[] {
  if (path.kind === 'short-path') return repo.filesEndingWith(path.text);
  const [file] = path.text.split('#') as [string];
  return repo.exists(file) ? repo.filesAt(file) : [];
}
