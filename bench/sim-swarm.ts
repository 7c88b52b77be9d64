// `npm run sim:swarm -- [--nodes N] [--seeds K] [--from S]`: the swarm scenario (every fault knob drawn
// from the seed) over many seeds at a large node count. Prints one line per seed; any failure is
// listed with its seed and the command that replays it, and the exit code is 1.
import { runSimulation } from '../sim/index.js'
import type { SimResult } from '../sim/index.js'

interface SwarmArgs {
  nodes: number
  seeds: number
  from: number
}

class SwarmUsageError extends Error {
  override name = 'SwarmUsageError'
}

function parseArgs (argv: readonly string[]): SwarmArgs {
  const args: SwarmArgs = { nodes: 500, seeds: 20, from: 1 }
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]
    const value = Number(argv[i + 1])
    if (!Number.isSafeInteger(value) || value < 0) throw new SwarmUsageError(`${flag ?? ''} needs a non-negative integer`)
    if (flag === '--nodes') args.nodes = value
    else if (flag === '--seeds') args.seeds = value
    else if (flag === '--from') args.from = value
    else throw new SwarmUsageError(`unknown argument ${flag ?? ''}; usage: npm run sim:swarm -- [--nodes N] [--seeds K] [--from S]`)
  }
  return args
}

function line (r: SimResult): string {
  const converged = r.convergedAfterMs === null ? 'never' : `${r.convergedAfterMs} ms`
  const f = r.faults
  return `seed ${String(r.seed).padStart(6)}  ${r.invariantsOk ? 'ok  ' : 'FAIL'}  trace ${r.traceHash}  agreed after ${converged.padStart(8)}  ` +
    `faults ${f.crashes}c/${f.restarts}r/${f.pauses}p/${f.partitions}x  ${r.messagesPerNodePerSec} msg/node/s  ${(r.wallMs / 1000).toFixed(1)} s`
}

function main (): number {
  const args = parseArgs(process.argv.slice(2))
  console.log(`swarm: ${args.nodes} nodes, seeds ${args.from}..${args.from + args.seeds - 1}`)
  const failed: SimResult[] = []
  const agreed: number[] = []
  for (let seed = args.from; seed < args.from + args.seeds; seed++) {
    const result = runSimulation({ scenario: 'swarm', nodes: args.nodes, seed })
    console.log(line(result))
    if (!result.invariantsOk || result.convergedAfterMs === null) failed.push(result)
    else agreed.push(result.convergedAfterMs)
  }
  agreed.sort((a, b) => a - b)
  const at = (p: number): number => agreed[Math.min(agreed.length - 1, Math.ceil(p * agreed.length) - 1)] ?? NaN
  console.log(`agreement after faults end: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms over ${agreed.length} passing seeds`)
  for (const r of failed) {
    console.log(`FAILED seed ${r.seed}: ${JSON.stringify(r.violationsByInvariant)}; replay: npx gmesh sim --scenario swarm --nodes ${r.nodes} --seed ${r.seed}`)
    for (const v of r.violations.slice(0, 5)) console.log(`  ${v.invariant} at ${v.atMs} ms: ${v.observer} about ${v.subject}: ${v.detail}`)
  }
  return failed.length === 0 ? 0 : 1
}

try {
  process.exitCode = main()
} catch (err) {
  console.error(err instanceof SwarmUsageError ? err.message : err)
  process.exitCode = err instanceof SwarmUsageError ? 2 : 1
}
