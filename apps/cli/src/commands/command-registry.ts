// Every `pairdb` command, in --help order. A group's register() defines its commands, arguments
// and options with commander alone, and each action imports its implementation (actions/) when
// it runs, so `pairdb get` loads neither the bench nor the cluster supervisor, and --help loads
// no gRPC at all (docs/architecture.md#the-pairdb-command). A new command is one definition
// module here, one implementation module in actions/ and one line below.
import type { Command } from 'commander';
import type { Session } from '../session';
import { registerBenchCommand } from './bench-command';
import { registerClusterCommands } from './cluster-commands';
import { registerKeyValueCommands } from './key-value-commands';
import { registerMigrationCommands } from './migration-commands';
import { registerNodeCommands } from './node-commands';
import { registerRepairCommand } from './repair-command';
import { registerShellCommand } from './shell-command';
import { registerStatusCommand } from './status-command';
import { registerTenantCommands } from './tenant-commands';

export interface CommandGroup {
  readonly register: (program: Command, session: Session) => void;
  /** False for commands that need the terminal or the process to themselves. */
  readonly inShell: boolean;
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { register: registerKeyValueCommands, inShell: true },
  { register: registerTenantCommands, inShell: true },
  { register: registerNodeCommands, inShell: true },
  { register: registerMigrationCommands, inShell: true },
  { register: registerStatusCommand, inShell: true },
  { register: registerRepairCommand, inShell: true },
  { register: registerShellCommand, inShell: false },
  { register: registerClusterCommands, inShell: false },
  { register: registerBenchCommand, inShell: true },
];
