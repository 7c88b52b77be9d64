import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomically } from './atomic-write.js'

/** The property that turns Gradle's build cache on for every build, configuration-cache hits included. */
export const CACHING_PROPERTY = 'org.gradle.caching'

export interface CachingPropertyResult {
  file: string
  /** False when the file already said `org.gradle.caching=true`. */
  changed: boolean
  /** The value a line of the file gave before (`false`, say), when it was not `true`. */
  previous?: string
}

/**
 * Sets `org.gradle.caching=true` in `<gradleUserHome>/gradle.properties`, keeping every other line as it is: a line
 * that sets the property to something else is replaced in place, else the line is added at the end. The init.d
 * script's `buildCacheEnabled = true` is not applied on a configuration-cache hit (gradle/gradle#37088); the property
 * is. The write is atomic (temp file + rename) and keeps the file's mode.
 */
export async function enableCachingProperty (gradleUserHome: string): Promise<CachingPropertyResult> {
  const file = path.join(gradleUserHome, 'gradle.properties')
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return ''
    throw err
  })
  const lines = text.split('\n')
  const found = findProperty(lines, CACHING_PROPERTY)
  if (found?.value.toLowerCase() === 'true') return { file, changed: false }
  const line = `${CACHING_PROPERTY}=true`
  if (found != null) lines[found.index] = line
  else if (text === '' || text.endsWith('\n')) lines.splice(lines.length - 1, 0, line)
  else lines.push(line, '')
  const mode = await stat(file).then(s => s.mode & 0o777, () => 0o644) // keep the file's own permissions
  await writeFileAtomically(file, lines.join('\n'), mode)
  return { file, changed: true, ...(found == null ? {} : { previous: found.value }) }
}

/**
 * The last line of a .properties file that sets `key` (the one Java's Properties keeps), with its value. Blank lines,
 * comments (`#`, `!`) and the continuations of a line ending in an odd number of backslashes set no key.
 */
export function findProperty (lines: readonly string[], key: string): { index: number, value: string } | undefined {
  let found: { index: number, value: string } | undefined
  let continued = false
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '')
    const isContinuation = continued
    continued = /(^|[^\\])(\\\\)*\\$/.test(line)
    if (isContinuation) return
    const match = /^\s*((?:[^\s=:\\]|\\.)+)\s*[=:\s]?\s*(.*)$/.exec(line)
    if (match == null || /^[#!]/.test(match[1]!) || match[1] !== key) return
    found = { index, value: match[2]!.trim() }
  })
  return found
}

