// Jest setup file of every project: PAIRDB_TEST_SEED, which replays the crash tests, also fixes
// the seed of every fast-check property (fast-check prints the seed of a failing run itself).
import fc from 'fast-check';
import { parseSeed, TEST_SEED_ENV } from '@pairdb/test-seed';

const given = process.env[TEST_SEED_ENV];
if (given !== undefined && given !== '') {
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: parseSeed(given) });
}
