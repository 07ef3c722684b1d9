export { parseSeed, SeededRandom, TEST_SEED_ENV, testSeed } from './test-seed';
