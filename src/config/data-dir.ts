import { homedir } from 'node:os'
import { join } from 'node:path'
import { chooseDir } from './dir-choice.js'

/**
 * The node's data directory: `--data`, else `$GMESH_HOME`, else `~/.gmesh` (design.md, CLI contract). An empty
 * `--data`, or an empty `$GMESH_HOME` without `--data`, is a usage error (chooseDir).
 */
export function resolveDataDir (option?: string, env: NodeJS.ProcessEnv = process.env): string {
  return chooseDir({ option, flag: '--data', envName: 'GMESH_HOME', env, fallback: () => join(homedir(), '.gmesh') })
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
  /** The own entries not yet on enough replicas (`--replicas`): offered again after a restart. */
  replicaBacklog: 'replica-backlog.json',
  /** Workspaces and the Gradle user home of the build units this node runs. */
  builds: 'builds'
} as const
