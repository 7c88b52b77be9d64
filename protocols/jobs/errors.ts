/** A submitted job is not a valid DAG of units (duplicate ids, unknown dependency, cycle, limits). */
export class InvalidJobError extends Error {
  readonly code = 'ERR_INVALID_JOB'
  override name = 'InvalidJobError'
}
