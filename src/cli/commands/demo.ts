import type { Command } from 'commander'

/** Registers the `demo` command(s). */
export function register (program: Command): void {
  void program
}
