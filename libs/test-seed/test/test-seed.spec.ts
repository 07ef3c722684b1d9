import { parseSeed, SeededRandom, TEST_SEED_ENV, testSeed } from '../src';

const draws = (random: SeededRandom, count: number) =>
  Array.from({ length: count }, () => random.next());

describe('test seeds', () => {
  const saved = process.env[TEST_SEED_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[TEST_SEED_ENV];
    else process.env[TEST_SEED_ENV] = saved;
    jest.restoreAllMocks();
  });

  it('replays the same numbers from the same seed, and others from another', () => {
    expect(draws(new SeededRandom(42), 100)).toEqual(draws(new SeededRandom(42), 100));
    expect(draws(new SeededRandom(43), 100)).not.toEqual(draws(new SeededRandom(42), 100));
  });

  it('draws numbers in [0, 1) and integers below the limit', () => {
    const random = new SeededRandom(7);
    const values = draws(random, 10_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const seen = new Set(Array.from({ length: 1_000 }, () => random.below(5)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('derives a stream per label that does not depend on what the parent drew first', () => {
    const fresh = new SeededRandom(9);
    const used = new SeededRandom(9);
    draws(used, 10);
    expect(used.derive(3)).toBe(fresh.derive(3));
    expect(new Set([0, 1, 2, 3].map((label) => fresh.derive(label))).size).toBe(4);
  });

  it(`takes the seed from ${TEST_SEED_ENV} and prints how to replay it`, () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    process.env[TEST_SEED_ENV] = '123456';
    expect(testSeed('a test')).toBe(123456);
    expect(log).toHaveBeenCalledWith(`a test: seed 123456 (replay with ${TEST_SEED_ENV}=123456)`);
  });

  it(`draws and prints a seed when ${TEST_SEED_ENV} is not set`, () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    delete process.env[TEST_SEED_ENV];
    const seed = testSeed('a test');
    expect(Number.isInteger(seed)).toBe(true);
    expect(log).toHaveBeenCalledWith(`a test: seed ${seed} (replay with ${TEST_SEED_ENV}=${seed})`);
  });

  it.each(['abc', '-2147483649', '1.5', '4294967296', '0x10'])(
    'refuses the seed %p, naming it',
    (text) => {
      expect(() => parseSeed(text)).toThrow(
        `${TEST_SEED_ENV} must be an integer from -2147483648 to 4294967295 (got ${JSON.stringify(text)})`,
      );
    },
  );

  it('takes a signed seed as fast-check prints it, as the same 32 bits unsigned', () => {
    expect(parseSeed('-1')).toBe(4294967295);
    expect(parseSeed('-1020667716')).toBe(3274299580);
    expect(parseSeed('42')).toBe(42);
  });
});
