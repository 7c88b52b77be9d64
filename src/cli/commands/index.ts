import type { Command } from 'commander'
import * as up from './up.js'
import * as status from './status.js'
import * as cache from './cache.js'
import * as gradle from './gradle.js'
import * as sim from './sim.js'
import * as keygen from './keygen.js'
import * as demo from './demo.js'
import * as peers from './peers.js'
import * as top from './top.js'
import * as build from './build.js'

/** Each command lives in its own file and registers itself here. */
export function registerCommands (program: Command): void {
  for (const command of [up, status, peers, cache, gradle, build, sim, keygen, demo, top]) command.register(program)
}
