import { resolve } from 'node:path'
import { UsageError } from '../cli/errors.js'

/** Where a directory option may come from: its flag, else an environment variable, else a default. */
export interface DirChoice {
  /** The flag's value; undefined when the flag was not given. */
  option: string | undefined
  flag: string
  envName: string
  env: NodeJS.ProcessEnv
  fallback: () => string
}

/**
 * The directory a command works in: the flag, else the environment variable, else the default. A flag or a variable
 * that is there but empty (or only blanks) is a usage error, never "the default": `cache gc --data "$UNSET"` or
 * `init-gradle --remove --gradle-user-home ""` would otherwise work on the user's real directory. A variable is looked
 * at only when the flag is absent.
 */
export function chooseDir ({ option, flag, envName, env, fallback }: DirChoice): string {
  if (option !== undefined) {
    if (option.trim() === '') throw new UsageError(`${flag} is empty: give a directory, or leave ${flag} out to use $${envName} or the default`)
    return resolve(option)
  }
  const fromEnv = env[envName]
  if (fromEnv === undefined) return fallback()
  if (fromEnv.trim() === '') {
    throw new UsageError(`$${envName} is set but empty: set it to a directory, unset it to use the default, or give ${flag} DIR`)
  }
  return resolve(fromEnv)
}
