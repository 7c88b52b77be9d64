/**
 * The Gradle init script that points Gradle's remote build cache at a gmesh node.
 *
 * Works on Gradle 4.4 through 8.x: the script only uses APIs that exist since 3.5
 * (`gradle.settingsEvaluated`, `settings.buildCache`, `HttpBuildCache`,
 * `StartParameter.buildCacheEnabled`) and guards the properties newer Gradle added
 * (`allowInsecureProtocol` 6.0+, `useExpectContinue` 7.2+) by asking the object whether it
 * has them, never by parsing version strings.
 */

/** File name of the script inside `$GRADLE_USER_HOME/init.d/`. */
export const INIT_SCRIPT_FILE_NAME = 'gmesh.gradle'

/** First line of every script we write: lets `gmesh init-gradle` recognise its own file. */
export const INIT_SCRIPT_MARKER = '// gmesh: remote build cache of a gradle-mesh node'

export interface InitScriptOptions {
  /** The node's cache endpoint, e.g. `http://127.0.0.1:5071/cache/`; a missing trailing slash is added. */
  cacheUrl: string
  /** Whether this build may store entries in the node's cache (default true). */
  push?: boolean
  /** Send `Expect: 100-continue` on PUT where Gradle supports it (7.2+); default false. */
  expectContinue?: boolean
  /**
   * Turn the build cache on from the script, so no `--build-cache` flag is needed (default true).
   * Gradle cannot tell the script about an explicit `--no-build-cache`, so a self-enabling script
   * overrides it: for a single build, prefer false and pass `--build-cache` (the runner does).
   */
  enableBuildCache?: boolean
  /**
   * The script is installed in `init.d`, so it also runs for builds gmesh starts with a script of its own
   * (`-I`, for the node and mode gmesh chose): there it stands aside. Default false.
   */
  installed?: boolean
}

/** The system property gmesh sets on a build it gives its own init script (see `InitScriptOptions.installed`). */
export const SUPPLIED_SCRIPT_PROPERTY = 'gmesh.initScript'

export class InvalidCacheUrlError extends Error {
  static readonly code = 'ERR_INVALID_CACHE_URL'
  override name = 'InvalidCacheUrlError'
}

/**
 * Checks a cache URL and returns it in the form Gradle needs: http(s), no credentials, no
 * query or fragment, ending in `/` (Gradle appends the key to the URL as given).
 */
export function normalizeCacheUrl (cacheUrl: string): string {
  let url: URL
  try {
    url = new URL(cacheUrl)
  } catch {
    throw new InvalidCacheUrlError(`not a URL: '${cacheUrl}' (expected e.g. http://127.0.0.1:5071/cache/)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidCacheUrlError(`cache URL must be http or https, got '${cacheUrl}'`)
  }
  // a bare `?` or `#` leaves search and hash empty, and would still end up in the URL Gradle builds
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || /[?#]/.test(url.href)) {
    throw new InvalidCacheUrlError(`cache URL must not carry credentials, a query or a fragment: '${cacheUrl}'`)
  }
  const text = url.toString()
  return text.endsWith('/') ? text : `${text}/`
}

/** A Groovy single-quoted string literal holding `value` (single quotes never interpolate `$`). */
export function groovyString (value: string): string {
  const escaped = value
    .replaceAll('\\', '\\\\')
    .replaceAll('\'', '\\\'')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
  return `'${escaped}'`
}

/** The init script text for a node serving its cache at `options.cacheUrl`. */
export function renderInitScript (options: InitScriptOptions): string {
  const url = normalizeCacheUrl(options.cacheUrl)
  const push = options.push ?? true
  const expectContinue = options.expectContinue ?? false
  const enable = options.enableBuildCache ?? true
  const insecure = url.startsWith('http:')
  const lines = [
    INIT_SCRIPT_MARKER,
    '// Written by gradle-mesh (gmesh). Remove this file to stop using the node\'s cache.',
    '// Works on Gradle 4.4+; properties added by newer Gradle are set only where they exist.',
    '',
    'def gmeshCacheUrl = ' + groovyString(url),
    ''
  ]
  if (options.installed === true) {
    lines.push(
      '// A build gmesh runs with its own script (gmesh gradle: another node, --read-only) is configured by that one.',
      `if (gradle.startParameter.systemPropertiesArgs.containsKey('${SUPPLIED_SCRIPT_PROPERTY}')) {`,
      '    return',
      '}',
      ''
    )
  }
  if (enable) {
    // Assigned only when needed: Gradle 9 deprecates the assignment, and `--build-cache` makes it moot.
    lines.push(
      '// Same effect as --build-cache / org.gradle.caching=true.',
      'if (!gradle.startParameter.buildCacheEnabled) {',
      '    gradle.startParameter.buildCacheEnabled = true',
      '}',
      ''
    )
  }
  lines.push(
    '// Names a remote cache for a log line, without credentials (a URL\'s user info included).',
    'def gmeshRemoteName = { remote ->',
    '    def type = remote.getClass().simpleName - \'_Decorated\'',
    '    if (!(remote instanceof HttpBuildCache) || remote.url == null) return type',
    '    def url = remote.url',
    '    try {',
    '        return new URI(url.scheme, null, url.host, url.port, url.path, null, null).toString()',
    '    } catch (URISyntaxException ignored) {',
    '        return type',
    '    }',
    '}',
    '',
    // Settings hooks of init scripts run after settings.gradle's buildCache block, and remote(HttpBuildCache)
    // then reconfigures the object that block made, credentials included.
    'gradle.settingsEvaluated { settings ->',
    '    def ownRemote = settings.buildCache.remote',
    '    def ownRemoteName = ownRemote == null ? null : gmeshRemoteName(ownRemote)',
    ...(options.installed === true ? leaveOwnRemote() : []),
    '    settings.buildCache {',
    '        remote(HttpBuildCache) { cache ->',
    '            cache.url = gmeshCacheUrl',
    '            // credentials the build set for its own cache server must never go to the node',
    '            cache.credentials.username = null',
    '            cache.credentials.password = null',
    `            cache.push = ${String(push)}`,
    '            cache.enabled = true',
    '            if (cache.hasProperty(\'allowInsecureProtocol\')) {',
    `                cache.allowInsecureProtocol = ${String(insecure)}`,
    '            }',
    '            if (cache.hasProperty(\'useExpectContinue\')) {',
    `                cache.useExpectContinue = ${String(expectContinue)}`,
    '            }',
    '        }',
    '    }',
    ...(options.installed === true ? [] : sayOwnRemoteReplaced()),
    '}',
    ''
  )
  return lines.join('\n')
}

/**
 * For the init.d script, which runs for every build of the user: a remote cache the build configured itself
 * (its settings.gradle, another init script) is the team's choice and stays; one line says the node is not used.
 * Only the root build says it (`gradle.parent`: buildSrc and included builds run the script too).
 */
function leaveOwnRemote (): string[] {
  return [
    '    if (ownRemote != null) {',
    '        if (gradle.parent == null) {',
    '            logger.lifecycle(\'gmesh: this build configures its own remote build cache (\' + ownRemoteName + \'), so it does not use the gmesh node\\\'s cache at \' + gmeshCacheUrl + \'; gmesh gradle -- <tasks> builds it with the node\\\'s cache\')',
    '        }',
    '        return',
    '    }'
  ]
}

/** For a build gmesh runs (gmesh gradle, units, the demo): the node's cache was asked for, and replaces the build's own. */
function sayOwnRemoteReplaced (): string[] {
  return [
    '    if (ownRemote != null && gradle.parent == null) {',
    '        logger.lifecycle(\'gmesh: this build uses the gmesh node\\\'s cache at \' + gmeshCacheUrl + \' instead of its own remote build cache (\' + ownRemoteName + \'); credentials set for that one are not sent\')',
    '    }'
  ]
}
