/**
 * Ordering of a dependency graph given as `node -> nodes it depends on`: a topological order
 * (dependencies first, ties broken by the caller's order, so the result is deterministic) or the
 * first cycle found, named node by node.
 */

/** The units of a plan depend on each other in a circle; `cycle` lists it, first node repeated last. */
export class UnitCycleError extends Error {
  static readonly code = 'ERR_UNIT_CYCLE'
  override name = 'UnitCycleError'
  readonly cycle: string[]

  constructor (cycle: string[], describe: (node: string) => string = node => node) {
    super(`the build's units depend on each other in a cycle: ${cycle.map(describe).join(' -> ')}; ` +
      'tasks of these projects depend on each other both ways (a test-support module that needs the module it tests, for instance), ' +
      'so they cannot be split into units by project; build on this machine with the mesh cache instead: gmesh gradle -- <tasks>')
    this.cycle = cycle
  }
}

/** The graph turned around: for each node, the nodes among `nodes` that depend on it directly, in `nodes`' order. */
export function dependentsOf (nodes: Iterable<string>, dependsOn: (node: string) => readonly string[]): Map<string, string[]> {
  const dependents = new Map<string, string[]>()
  for (const node of nodes) {
    for (const dep of dependsOn(node)) {
      const list = dependents.get(dep)
      if (list === undefined) dependents.set(dep, [node])
      else list.push(node)
    }
  }
  return dependents
}

/**
 * Orders `nodes` so that every node comes after the nodes it depends on. Among ready nodes, the
 * one earliest in `nodes` goes first. Throws {@link UnitCycleError} when there is a cycle.
 */
export function topologicalOrder (
  nodes: readonly string[],
  dependsOn: ReadonlyMap<string, readonly string[]>,
  describe?: (node: string) => string
): string[] {
  const rank = new Map(nodes.map((node, i) => [node, i]))
  const waiting = new Map<string, number>()
  for (const node of nodes) {
    const deps = dependsOn.get(node) ?? []
    waiting.set(node, deps.length)
    for (const dep of deps) if (!rank.has(dep)) throw new Error(`${node} depends on ${dep}, which is not in the graph`)
  }
  const dependents = dependentsOf(nodes, node => dependsOn.get(node) ?? [])
  const ready = nodes.filter(node => waiting.get(node) === 0)
  const order: string[] = []
  while (ready.length > 0) {
    ready.sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0))
    const node = ready.shift() as string
    order.push(node)
    for (const dependent of dependents.get(node) ?? []) {
      const left = (waiting.get(dependent) ?? 0) - 1
      waiting.set(dependent, left)
      if (left === 0) ready.push(dependent)
    }
  }
  if (order.length < nodes.length) {
    const placed = new Set(order)
    throw new UnitCycleError(findCycle(nodes.filter(node => !placed.has(node)), dependsOn), describe)
  }
  return order
}

/** A cycle among `candidates` (nodes left over by the topological sort: each lies on or behind one). */
function findCycle (candidates: readonly string[], dependsOn: ReadonlyMap<string, readonly string[]>): string[] {
  const left = new Set(candidates)
  const path: string[] = []
  const onPath = new Map<string, number>()
  let node = candidates[0] as string
  // Every leftover node has a leftover dependency, so walking them must revisit a node.
  while (!onPath.has(node)) {
    onPath.set(node, path.length)
    path.push(node)
    node = (dependsOn.get(node) ?? []).find(dep => left.has(dep)) as string
  }
  return [...path.slice(onPath.get(node)), node]
}
