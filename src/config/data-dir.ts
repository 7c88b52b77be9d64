import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/** The node's data directory: `--data`, else `$GMESH_HOME`, else `~/.gmesh` (design.md, CLI contract). */
export function resolveDataDir (option?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (option != null && option !== '') return resolve(option)
  const fromEnv = env.GMESH_HOME
  if (fromEnv != null && fromEnv !== '') return resolve(fromEnv)
  return join(homedir(), '.gmesh')
}

/** Files a node keeps in its data directory. */
export const DataFiles = {
  identity: 'identity.key',
  token: 'token',
  ready: 'node.json',
  lock: 'lock',
  cas: 'cas',
  /** `{ maxBytes }`: the cache budget the node last ran with, for \`gmesh cache gc\` while none runs. */
  cacheBudget: 'cache-budget.json',
  /** Workspaces and the Gradle user home of the build units this node runs. */
  builds: 'builds'
} as const
