/** Base class of every error the snapshot module throws; `code` is stable and machine-readable. */
export class SnapshotError extends Error {
  readonly code: string

  constructor (message: string, code: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** Why a manifest path was refused. */
export type UnsafePathReason = 'empty' | 'absolute' | 'dot-segment' | 'empty-segment' | 'nul' | 'too-long' | 'too-deep'

/** A manifest path that could write outside the workspace or is not a plain relative POSIX path. */
export class UnsafePathError extends SnapshotError {
  readonly path: string
  readonly reason: UnsafePathReason

  constructor (path: string, reason: UnsafePathReason) {
    super(`manifest path ${JSON.stringify(shorten(path))} is refused (${reason}): paths must be relative, without "." or ".." segments or NUL`, 'ERR_SNAPSHOT_UNSAFE_PATH')
    this.path = path
    this.reason = reason
  }
}

/** Two manifest entries name the same path, or a file is also used as a directory. */
export class DuplicatePathError extends SnapshotError {
  readonly path: string

  constructor (path: string, detail = 'appears twice in the manifest') {
    super(`manifest path ${JSON.stringify(shorten(path))} ${detail}`, 'ERR_SNAPSHOT_DUPLICATE_PATH')
    this.path = path
  }
}

/** A manifest entry lies below a path that the manifest makes a symbolic link: writing it would follow the link. */
export class PathThroughLinkError extends SnapshotError {
  readonly path: string
  readonly link: string

  constructor (path: string, link: string) {
    super(`manifest path ${JSON.stringify(shorten(path))} goes through the symbolic link ${JSON.stringify(shorten(link))}`, 'ERR_SNAPSHOT_PATH_THROUGH_LINK')
    this.path = path
    this.link = link
  }
}

/** A symbolic link whose target is absolute, leaves the workspace, or loops. */
export class UnsafeLinkError extends SnapshotError {
  readonly path: string
  readonly target: string

  constructor (path: string, target: string, why: string) {
    super(`symbolic link ${JSON.stringify(shorten(path))} -> ${JSON.stringify(shorten(target))} is refused: ${why}`, 'ERR_SNAPSHOT_UNSAFE_LINK')
    this.path = path
    this.target = target
  }
}

/** A manifest whose links take more steps to check than any real tree's (crafted to hold up the node). */
export class LinkCheckBudgetError extends SnapshotError {
  constructor (budget: number) {
    super(`the manifest's symbolic links take more than ${budget} steps to check; a real project's take a few per link`, 'ERR_SNAPSHOT_LINK_CHECK_BUDGET')
  }
}

/** A snapshot bigger than a node takes: it would evict the node's cache and fill its disk. */
export class SnapshotTooLargeError extends SnapshotError {
  readonly bytes: number
  readonly maxBytes: number

  constructor (bytes: number, maxBytes: number, biggest: ReadonlyArray<{ path: string, bytes: number }>) {
    const named = biggest.map(dir => `${JSON.stringify(shorten(dir.path))} ${formatBytes(dir.bytes)}`).join(', ')
    super(`the snapshot holds ${formatBytes(bytes)} of files, more than the ${formatBytes(maxBytes)} a node takes (half its cache budget)` +
      (named === '' ? '' : `; the biggest directories: ${named}. Ignore what the build does not need in .gitignore, or raise --cache-max`), 'ERR_SNAPSHOT_TOO_LARGE')
    this.bytes = bytes
    this.maxBytes = maxBytes
  }
}

/** Manifest bytes that are not a valid snapshot manifest (bad JSON, wrong schema, too large, wrong hash). */
export class InvalidManifestError extends SnapshotError {
  constructor (message: string, options?: ErrorOptions) {
    super(`invalid snapshot manifest: ${message}`, 'ERR_SNAPSHOT_INVALID_MANIFEST', options)
  }
}

/** Blobs the manifest needs are not in the store (fetch them first with fetchMissing). */
export class MissingBlobsError extends SnapshotError {
  readonly missing: string[]

  constructor (missing: string[]) {
    super(`${missing.length} blob(s) of the snapshot are not in the store (first: ${missing[0] ?? '-'}); fetch them before materialising`, 'ERR_SNAPSHOT_MISSING_BLOBS')
    this.missing = missing
  }
}

/** Bytes read for a file do not hash to (or have the size) the manifest says. */
export class BlobIntegrityError extends SnapshotError {
  readonly path: string
  readonly expected: string
  readonly actual: string

  constructor (path: string, expected: string, actual: string) {
    super(`content of ${JSON.stringify(shorten(path))} hashes to ${actual} but the manifest says ${expected}`, 'ERR_SNAPSHOT_BLOB_INTEGRITY')
    this.path = path
    this.expected = expected
    this.actual = actual
  }
}

/** A project file changed while it was being snapshotted. */
export class FileChangedError extends SnapshotError {
  readonly path: string

  constructor (path: string, cause?: unknown) {
    super(`${JSON.stringify(shorten(path))} changed while it was being snapshotted; try again once the tree is quiet`, 'ERR_SNAPSHOT_FILE_CHANGED', cause === undefined ? undefined : { cause })
    this.path = path
  }
}

/** A workspace directory is not usable (exists already, is not empty, bad job id). */
export class WorkspaceError extends SnapshotError {
  constructor (message: string) {
    super(message, 'ERR_SNAPSHOT_WORKSPACE')
  }
}

/** A name in the project that is not UTF-8: a manifest cannot carry it, nor a worker recreate it. */
export class UnsupportedFileNameError extends SnapshotError {
  readonly directory: string

  constructor (directory: string, name: string) {
    super(`${JSON.stringify(shorten(directory === '' ? '.' : directory))} holds a name that is not UTF-8 (${JSON.stringify(shorten(name))}): rename it, or ignore it in .gitignore, to build it on the mesh`, 'ERR_SNAPSHOT_FILE_NAME')
    this.directory = directory
  }
}

/** git failed on the project for another reason than it being in no work tree: what it tracks cannot be known. */
export class GitFailedError extends SnapshotError {
  readonly directory: string
  readonly stderr: string

  constructor (directory: string, command: string, stderr: string, options?: ErrorOptions) {
    const said = stderr.trim() === '' ? 'nothing on stderr' : shorten(stderr.trim())
    const owner = /dubious ownership/.test(stderr)
      ? `; the node runs as another user than the one owning the repository: run \`git config --global --add safe.directory ${gitDirectoryOf(stderr) ?? directory}\` as the node's user`
      : ''
    super(`cannot snapshot ${JSON.stringify(shorten(directory))}: \`${command}\` failed (${said})${owner}. ` +
      'Without git the snapshot would drop tracked files that .gitignore rules match (gradle-wrapper.jar under *.jar)', 'ERR_SNAPSHOT_GIT_FAILED', options)
    this.directory = directory
    this.stderr = stderr
  }
}

/** A snapshot without a Gradle build script at its root: the directory is not a Gradle build, or its build files are ignored. */
export class NotAGradleBuildError extends SnapshotError {
  readonly directory: string

  constructor (directory: string, ignored: string[]) {
    super(`${JSON.stringify(shorten(directory))} has no settings.gradle(.kts) or build.gradle(.kts) at its root` +
      (ignored.length === 0
        ? ': snapshot the root directory of a Gradle build'
        : ` that the snapshot may take: ${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} ignored (.gitignore or git's exclude rules); track or un-ignore ${ignored.length === 1 ? 'it' : 'them'}`),
    'ERR_SNAPSHOT_NOT_A_GRADLE_BUILD')
    this.directory = directory
  }
}

/** The directory that git's "dubious ownership" message names. */
function gitDirectoryOf (stderr: string): string | undefined {
  return /dubious ownership in repository at '([^']*)'/.exec(stderr)?.[1]
}

function formatBytes (bytes: number): string {
  return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`
}

function shorten (text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}
