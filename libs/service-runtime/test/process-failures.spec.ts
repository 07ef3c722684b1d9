// A real process run through runService that hits an error nothing handles: it logs the error
// (service, event, stack) as a fatal entry and exits with EXIT_UNHANDLED_ERROR, not Node's 1.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { EXIT_UNHANDLED_ERROR } from '../src';

const FIXTURE = path.join(__dirname, 'fixtures/failing-service.ts');

function run(
  failure: 'rejection' | 'exception',
): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(process.execPath, ['--require', '@swc-node/register', FIXTURE], {
    env: { ...process.env, FAILURE: failure },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, lines: stdout.split('\n').filter(Boolean) }));
  });
}

describe('an error nothing handles in a service process', () => {
  it.each(['rejection', 'exception'] as const)(
    'an unhandled %s is logged with service and stack, and exits 70',
    async (failure) => {
      const { code, lines } = await run(failure);
      expect(EXIT_UNHANDLED_ERROR).toBe(70);
      expect(code).toBe(70);
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const fatal = entries.find((entry) => entry['level'] === 60);
      expect(fatal).toMatchObject({
        name: 'failing:one',
        service: 'failing',
        event: failure === 'rejection' ? 'unhandledRejection' : 'uncaughtException',
        msg: expect.stringContaining('reply handler blew up'),
        err: {
          message: 'reply handler blew up',
          stack: expect.stringContaining('failing-service.ts'),
        },
      });
    },
  );
});
