/**
 * What one unit of a distributed build carries through the jobs protocol (`UnitSpec.payload`, at
 * most 4 KiB): the snapshot to build, the Gradle tasks to run and the unit's deadline. The submitter
 * encodes it; a worker decodes and checks it before it runs anything.
 */
import { z } from 'zod'
import { MAX_PAYLOAD_BYTES } from '../../protocols/jobs/index.js'
import type { Unit } from '../../src/plan/units.js'

const TASK_PATH = /^:[^\s]{0,300}$/
const taskPath = z.string().regex(TASK_PATH)

/** What a worker needs of a planned unit; the control API checks submitted units against it too. */
export const unitSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  name: z.string().min(1).max(300),
  project: taskPath,
  run: z.array(taskPath).min(1).max(100),
  exclude: z.array(taskPath).max(100),
  testFilters: z.array(z.string().min(1).max(500).regex(/^[^\s-][^\s]*$/)).max(200),
  shard: z.strictObject({ testTask: taskPath, index: z.number().int().positive(), count: z.number().int().positive(), salt: z.number().int().nonnegative().max(2 ** 31) }).optional()
})

/** A task path, e.g. `:money:compileJava`. */
export { taskPath as taskPathSchema }

const payloadSchema = z.strictObject({
  v: z.literal(1),
  /** SHA-256 of the snapshot manifest, fetched from the submitter. */
  snapshot: z.string().regex(/^[0-9a-f]{64}$/),
  unit: unitSchema,
  timeoutMs: z.number().int().positive().max(24 * 3600 * 1000)
})

export type UnitPayload = z.infer<typeof payloadSchema>
export type PayloadUnit = UnitPayload['unit']

/** A unit payload that does not parse or check: the unit fails with this message and runs nothing. */
export class InvalidUnitPayloadError extends Error {
  static readonly code = 'ERR_INVALID_UNIT_PAYLOAD'
  override name = 'InvalidUnitPayloadError'
}

/** The payload of `unit` for snapshot `snapshot`; throws InvalidUnitPayloadError past 4 KiB (too many test filters). */
export function encodeUnitPayload (snapshot: string, unit: Pick<Unit, 'id' | 'name' | 'project' | 'run' | 'exclude' | 'testFilters' | 'shard'>, timeoutMs: number): string {
  const { id, name, project, run, exclude, testFilters, shard } = unit
  const payload: UnitPayload = { v: 1, snapshot, unit: { id, name, project, run, exclude, testFilters, ...(shard == null ? {} : { shard }) }, timeoutMs }
  const checked = payloadSchema.safeParse(payload)
  if (!checked.success) throw new InvalidUnitPayloadError(`unit ${name} cannot be sent: ${checked.error.issues[0]?.message ?? 'invalid'}`)
  const text = JSON.stringify(payload)
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
    throw new InvalidUnitPayloadError(`unit ${name} needs ${Buffer.byteLength(text)} bytes to describe, over the ${MAX_PAYLOAD_BYTES}-byte limit: split its test filters over more shards (fewer classes in each), or name fewer tasks`)
  }
  return text
}

/** Parses and checks a payload from the wire; throws InvalidUnitPayloadError. */
export function decodeUnitPayload (text: string): UnitPayload {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new InvalidUnitPayloadError('unit payload is not JSON')
  }
  const checked = payloadSchema.safeParse(value)
  if (!checked.success) {
    const issue = checked.error.issues[0]
    throw new InvalidUnitPayloadError(`unit payload is invalid at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`)
  }
  return checked.data
}
