import type { Command } from 'commander'

/** Registers the `gradle` command(s). */
export function register (program: Command): void {
  void program
}
