import type { Command } from 'commander'
import path from 'node:path'
import { OperationError, UsageError } from '../errors.js'
import { checkDir } from '../dir-option.js'
import { makeDirs } from '../../../node/data-dir.js'
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
  // a fresh machine has no ~/.gmesh before its first `gmesh up`: the README's first command writes there
  await makeKeyDir(file)
  try {
    await writeSwarmKeyFile(file)
  } catch (err) {
    if (err instanceof SwarmKeyExistsError) throw new OperationError(err.message)
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw new OperationError(`cannot write swarm key ${file} (${code}): check that its directory can be written`)
  }
  process.stdout.write(`wrote swarm key ${file} (mode 0600); start every node of the mesh with --swarm-key ${file}\n`)
}

/**
 * Makes FILE's directory (0700) as the data dir is made (`makeDirs`), not by a recursive mkdir, which spins forever
 * where the file system answers ENOENT although the parent exists (`/proc`). A directory that cannot be made is the
 * command line's fault (exit 2), said plainly: a file where a directory should be, or the file system's refusal.
 */
async function makeKeyDir (file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file))
  // makeDirs takes an EEXIST for a directory made meanwhile: a file there is seen first
  const there = await checkDir(dir)
  if (there === 'file') throw new UsageError(`cannot write swarm key ${file}: ${dir} is a file, not a directory; choose another FILE`)
  if (there === 'under-file') throw new UsageError(`cannot write swarm key ${file}: a directory above it is a file, not a directory; choose another FILE`)
  if (there === 'directory') return
  try {
    await makeDirs(dir, 0o700)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw new UsageError(`cannot write swarm key ${file}: its directory ${dir} cannot be made (${code}); choose a FILE in a directory that can be written`)
  }
}
