import type { Command } from 'commander'

/** Registers the `sim` command(s). */
export function register (program: Command): void {
  void program
}
