import type { Command } from 'commander'

/** Registers the `up` command(s). */
export function register (program: Command): void {
  void program
}
