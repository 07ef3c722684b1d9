// The README's Layout block is where a newcomer learns which projects exist; every app and lib
// folder must have its line there.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');

function layoutBlock(readme: string): string {
  const section = readme.split(/^## Layout$/m)[1]?.split(/^## /m)[0] ?? '';
  return section.split('```')[1] ?? '';
}

function projectFolders(top: 'apps' | 'libs'): string[] {
  return readdirSync(join(ROOT, top), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${top}/${entry.name}/`);
}

describe("README.md's Layout", () => {
  const block = layoutBlock(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const listed = new Set(block.split('\n').map((line) => line.split(/\s+/)[0]));

  it.each([...projectFolders('apps'), ...projectFolders('libs')])('lists %s', (folder) => {
    expect(listed.has(folder)).toBe(true);
  });

  it('lists only folders that exist', () => {
    const folders = [...listed].filter((entry) => entry?.endsWith('/'));
    expect(folders.length).toBeGreaterThan(10);
    expect(folders.filter((folder) => !existsSync(join(ROOT, folder)))).toEqual([]);
  });
});
