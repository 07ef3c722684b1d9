// pairdb shell: an interactive session on one connection (shell/ has the details).
import type { Command } from 'commander';
import type { Session } from '../session';

export function registerShellCommand(program: Command, session: Session): void {
  const shell = program
    .command('shell')
    .description('interactive: the same commands without "pairdb", on one connection')
    .option(
      '--history-file <path>',
      'where the command history is kept ("" keeps none; default ~/.pairdb_history)',
    )
    .action(async () => {
      const { runShell } = await import('../shell/shell.js');
      await runShell(session.connectionSettings(), shell.opts());
    });
}
