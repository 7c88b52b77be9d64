import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os'
import { nginxVersion, NGINX_INSTALL_HINT } from './nginx.js'
import { findWrk, wrkVersion, WRK_INSTALL_HINT, WrkGenerator } from './wrk.js'
import { NodeLoadGenerator } from './node-load.js'
import type { LoadGenerator } from './load.js'

export interface MachineFacts {
  cores: number
  cpuModel: string
  memoryGiB: number
  kernel: string
  /** 1-minute load average at the start: other work on the machine skews latency figures. */
  load1: number
  node: string
  nginx?: string
  wrk?: string
}

export async function machineFacts (): Promise<MachineFacts> {
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    kernel: release(),
    load1: loadavg()[0],
    node: process.version,
    nginx: await nginxVersion(),
    wrk: await wrkVersion()
  }
}

export function describeMachine (f: MachineFacts): string {
  return [
    `machine: ${f.cores} cores (${f.cpuModel}), ${f.memoryGiB} GiB RAM, Linux ${f.kernel}, load average ${f.load1.toFixed(2)} at start`,
    `node:    ${f.node}`,
    `nginx:   ${f.nginx ?? `not installed: references skipped (${NGINX_INSTALL_HINT})`}`,
    `wrk:     ${f.wrk ?? `not installed: Node load generator used (${WRK_INSTALL_HINT})`}`
  ].join('\n')
}

/**
 * The load generator for both sides of every comparison in one run: wrk when installed, else Node.
 * One wrk thread: on a 2-core machine the generator takes one core and the server the other.
 */
export function chooseLoadGenerator (options: { nodeLoad: boolean }): LoadGenerator {
  const wrk = findWrk()
  if (wrk != null && !options.nodeLoad) return new WrkGenerator(wrk, 1)
  return new NodeLoadGenerator()
}
