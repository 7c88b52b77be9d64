import type { Command } from 'commander'

/** Registers the `status` command(s). */
export function register (program: Command): void {
  void program
}
