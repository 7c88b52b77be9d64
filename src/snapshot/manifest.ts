import { createHash } from 'node:crypto'
import { z } from 'zod'
import { InvalidManifestError } from './errors.js'
import { checkTree, MAX_PATH_BYTES } from './paths.js'

export const MANIFEST_FORMAT = 'gmesh-snapshot'
export const MANIFEST_VERSION = 1
/** Manifests larger than this are refused when read (about a million files). */
export const MAX_MANIFEST_BYTES = 128 * 1024 * 1024
/** Entries past this count are refused when read. */
export const MAX_MANIFEST_ENTRIES = 1_000_000

/** A regular file: its bytes are the blob named `sha256` in the store. */
export interface FileEntry {
  /** Relative POSIX path inside the project. */
  path: string
  type: 'file'
  size: number
  /** SHA-256 of the bytes, lowercase hex: also the blob's key in the store. */
  sha256: string
  executable: boolean
}

/** A symbolic link that stays inside the project; `target` is the link's text, as `readlink` gives it. */
export interface LinkEntry {
  path: string
  type: 'link'
  target: string
}

export type ManifestEntry = FileEntry | LinkEntry

/** What a snapshot holds. Entries are sorted by the UTF-8 bytes of their path. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT
  version: typeof MANIFEST_VERSION
  entries: ManifestEntry[]
}

// emptiness, NUL, '..' and the byte length are checked by checkTree, with errors that name the path
const PathSchema = z.string().max(MAX_PATH_BYTES)
const FileSchema = z.strictObject({
  path: PathSchema,
  type: z.literal('file'),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  executable: z.boolean()
})
const LinkSchema = z.strictObject({ path: PathSchema, type: z.literal('link'), target: z.string().max(MAX_PATH_BYTES) })
const ManifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(MANIFEST_VERSION),
  entries: z.array(z.discriminatedUnion('type', [FileSchema, LinkSchema])).max(MAX_MANIFEST_ENTRIES)
})

export function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Orders paths by their UTF-8 bytes, so every implementation sorts alike. */
export function comparePaths (a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/**
 * The canonical bytes of a manifest of `entries` (sorted by path, fixed key order, no whitespace) and its id:
 * the SHA-256 of those bytes.
 */
export function encodeManifest (entries: readonly ManifestEntry[]): { id: string, manifest: Manifest, bytes: Uint8Array } {
  if (entries.length > MAX_MANIFEST_ENTRIES) throw new InvalidManifestError(`${entries.length} entries is over the limit of ${MAX_MANIFEST_ENTRIES}`)
  const sorted = entries.map(canonicalEntry).sort((a, b) => comparePaths(a.path, b.path))
  const manifest: Manifest = { format: MANIFEST_FORMAT, version: MANIFEST_VERSION, entries: sorted }
  const bytes = Buffer.from(JSON.stringify(manifest))
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new InvalidManifestError(`${bytes.byteLength} bytes is over the limit of ${MAX_MANIFEST_BYTES}`)
  return { id: sha256Hex(bytes), manifest, bytes }
}

/**
 * Parses manifest bytes from anywhere (a peer, the store): refuses more than `MAX_MANIFEST_BYTES`, bytes that
 * do not hash to `expectedId` when given, bad JSON, a wrong schema, and any encoding but the canonical one.
 * Path safety is checked when materialising (checkManifest).
 */
export function decodeManifest (bytes: Uint8Array, options: { expectedId?: string } = {}): Manifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new InvalidManifestError(`${bytes.byteLength} bytes is over the limit of ${MAX_MANIFEST_BYTES}`)
  if (options.expectedId !== undefined) {
    const actual = sha256Hex(bytes)
    if (actual !== options.expectedId) throw new InvalidManifestError(`bytes hash to ${actual}, not to the snapshot id ${options.expectedId}`)
  }
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
  } catch (err) {
    throw new InvalidManifestError('not JSON', { cause: err })
  }
  const manifest = checkManifest(json)
  const { bytes: canonical } = encodeManifest(manifest.entries)
  if (Buffer.compare(canonical, bytes) !== 0) throw new InvalidManifestError('not in canonical form (entries sorted by path, fixed key order, no whitespace)')
  return manifest
}

/** Manifests this process checked: frozen, so they cannot have changed since, and not checked again. */
const checked = new WeakSet<Manifest>()

/**
 * Checks a manifest (decoded or built) before anything is written from it: the schema (InvalidManifestError),
 * every path and link (checkTree's UnsafePathError, DuplicatePathError, PathThroughLinkError, UnsafeLinkError,
 * LinkCheckBudgetError), and one size per blob. Gives back a frozen copy, which passes at once when checked
 * again (decodeManifest checks, then materialise).
 */
export function checkManifest (value: unknown): Manifest {
  if (checked.has(value as Manifest)) return value as Manifest
  const parsed = ManifestSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidManifestError(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'schema mismatch'}`)
  }
  const manifest = parsed.data
  checkTree(manifest.entries.map(entry => entry.type === 'link' ? { path: entry.path, target: entry.target } : { path: entry.path }))
  const sizes = new Map<string, number>()
  for (const entry of manifest.entries) {
    if (entry.type !== 'file') continue
    if ((sizes.get(entry.sha256) ?? entry.size) !== entry.size) throw new InvalidManifestError(`blob ${entry.sha256} is given two sizes`)
    sizes.set(entry.sha256, entry.size)
  }
  for (const entry of manifest.entries) Object.freeze(entry)
  Object.freeze(manifest.entries)
  checked.add(Object.freeze(manifest))
  return manifest
}

/** Total bytes and distinct blobs of the files of a manifest. */
export function manifestTotals (manifest: Manifest): { files: number, links: number, bytes: number, blobs: Map<string, number> } {
  const blobs = new Map<string, number>()
  let files = 0
  let bytes = 0
  for (const entry of manifest.entries) {
    if (entry.type !== 'file') continue
    files++
    bytes += entry.size
    blobs.set(entry.sha256, entry.size)
  }
  return { files, links: manifest.entries.length - files, bytes, blobs }
}

function canonicalEntry (entry: ManifestEntry): ManifestEntry {
  return entry.type === 'file'
    ? { path: entry.path, type: 'file', size: entry.size, sha256: entry.sha256, executable: entry.executable }
    : { path: entry.path, type: 'link', target: entry.target }
}
