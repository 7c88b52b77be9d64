import type { Command } from 'commander'

/** Registers the `keygen` command(s). */
export function register (program: Command): void {
  void program
}
