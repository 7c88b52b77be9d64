import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

/**
 * Writes `text` to `file` through a temp file beside it renamed into place (its directory made if missing), so a
 * reader sees the old file or the new one, never half of one; the temp file is removed when the write fails.
 */
export async function writeFileAtomically (file: string, text: string, mode: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  const temp = `${file}.${process.pid}.tmp`
  try {
    await writeFile(temp, text, { mode })
    await rename(temp, file)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}
