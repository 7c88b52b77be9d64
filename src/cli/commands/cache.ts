import type { Command } from 'commander'

/** Registers the `cache` command(s). */
export function register (program: Command): void {
  void program
}
