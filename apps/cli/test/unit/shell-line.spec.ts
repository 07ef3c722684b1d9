// How a shell line becomes arguments, what Tab offers, and which tenants the shell learns.
import { Command } from 'commander';
import { UsageError } from '../../src/exit-codes';
import { commandTree, completeLine } from '../../src/shell/completion';
import { KNOWN_TENANTS_MAX, KnownTenants } from '../../src/shell/known-tenants';
import { splitWords } from '../../src/shell/line-words';

describe('splitWords', () => {
  it.each([
    ['put default k "hello world"', ['put', 'default', 'k', 'hello world']],
    ['put default k \'a "quoted" word\'', ['put', 'default', 'k', 'a "quoted" word']],
    ['put t k "say \\"hi\\" \\\\ back"', ['put', 't', 'k', 'say "hi" \\ back']],
    ['put t k two\\ words', ['put', 't', 'k', 'two words']],
    ['put t k ""', ['put', 't', 'k', '']],
    ['  get\tt   k  ', ['get', 't', 'k']],
    ['', []],
  ])('splits %j', (line, words) => {
    expect(splitWords(line)).toEqual(words);
  });

  it('refuses an unterminated quote, naming it', () => {
    expect(() => splitWords('put t k "open')).toThrow(UsageError);
    expect(() => splitWords("put t k 'open")).toThrow(/unterminated ' quote/);
  });
});

describe('completeLine', () => {
  const program = new Command('pairdb');
  program.command('get').option('-c, --consistency <level>').option('--json');
  program.command('put');
  const tenant = program.command('tenant');
  tenant.command('create');
  tenant.command('get');
  program.command('node').command('list').alias('ls');
  const tree = commandTree(program);
  const tenants = ['default', 'shop'];

  it.each([
    ['', ['consistency', 'exit', 'get', 'json', 'node', 'put', 'quit', 'settings', 'tenant']],
    ['te', ['tenant ']],
    ['tenant ', ['create', 'get']],
    ['node l', ['list', 'ls']],
    ['get ', ['default', 'shop']],
    ['get s', ['shop ']],
    ['tenant get d', ['default ']],
    ['get shop k --j', ['--json ']],
    ['get shop k -c ', ['all', 'one', 'quorum']],
    ['get shop ', []],
    ['tenant create ', []],
    ['json o', ['off', 'on']],
    ['consistency q', ['quorum ']],
    ['nosuch ', []],
  ])('offers for %j: %j', (line, hits) => {
    const [offered, word] = completeLine(line, tree, tenants);
    expect(offered).toEqual(hits);
    expect(word).toBe(line.split(' ').pop());
  });
});

describe('KnownTenants', () => {
  it('starts with default and learns tenants that commands name', () => {
    const known = new KnownTenants();
    known.noteLine('put shop cart apples');
    known.noteLine('tenant create "quoted shop" -r 2');
    known.noteLine('status --tenant ops');
    known.noteLine('node list');
    known.noteLine('get "unterminated');
    expect(known.list()).toEqual(['default', 'shop', 'quoted shop', 'ops']);
  });

  it(`forgets the least recently named past ${KNOWN_TENANTS_MAX}`, () => {
    const known = new KnownTenants();
    for (let i = 0; i < KNOWN_TENANTS_MAX; i++) known.noteLine(`get t${i} k`);
    known.noteLine('get t0 k');
    known.noteLine('get newest k');
    const list = known.list();
    expect(list).toHaveLength(KNOWN_TENANTS_MAX);
    expect(list).not.toContain('default');
    expect(list.slice(-2)).toEqual(['t0', 'newest']);
  });
});
