import type { Command } from 'commander'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { OperationError } from '../errors.js'
import { SwarmKeyExistsError, writeSwarmKeyFile } from '../../../node/libp2p/swarm-key.js'

/** Registers `gmesh keygen FILE`: writes a new swarm key (PSK v1, mode 0600), never over an existing file. */
export function register (program: Command): void {
  program
    .command('keygen')
    .description('write a new swarm key for a private mesh (give the same file to every node with --swarm-key)')
    .argument('<file>', 'where to write the key; must not exist yet')
    .action(async (file: string) => {
      await keygen(file)
    })
}

async function keygen (file: string): Promise<void> {
  try {
    // a fresh machine has no ~/.gmesh before its first `gmesh up`: the README's first command writes there
    await mkdir(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 })
    await writeSwarmKeyFile(file)
  } catch (err) {
    if (err instanceof SwarmKeyExistsError) throw new OperationError(err.message)
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw new OperationError(`cannot write swarm key ${file} (${code}): check that its directory can be written`)
  }
  process.stdout.write(`wrote swarm key ${file} (mode 0600); start every node of the mesh with --swarm-key ${file}\n`)
}
