import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const exec = promisify(execFile)

/** One machine of a test LAN: a network namespace with an address on the shared link. */
export interface LanHost {
  namespace: string
  address: string
  /** The command prefix that runs a program on this host (`ip netns exec <namespace>`). */
  launcher: string[]
}

export interface TestLan {
  hosts: LanHost[]
  /** Runs the LAN client (lan-client.ts) on `host` and resolves to the JSON it prints. */
  client: (host: LanHost, args: string[]) => Promise<unknown>
  /** Deletes the namespaces, and with them the links and the switch; stop the hosts' processes first. */
  remove: () => Promise<void>
}

export class LanSetupError extends Error {
  override name = 'LanSetupError'
}

const LAN_CLIENT = fileURLToPath(new URL('./lan-client.js', import.meta.url))
const SUBNET = '10.200.0'
/** LANs made by this process: their namespace and link names carry the count, so tests run side by side. */
let lansMade = 0

async function ip (...args: string[]): Promise<void> {
  await exec('ip', args)
}

function firstLine (err: unknown): string {
  const e = err as { stderr?: string, message?: string }
  return (e.stderr?.trim() || e.message || String(err)).split('\n')[0]!
}

/** Why this machine cannot host a test LAN (namespaces need root and iproute2), or undefined when it can. */
export async function lanUnavailable (): Promise<string | undefined> {
  const probe = `gmprobe${process.pid}`
  try {
    await ip('netns', 'add', probe)
  } catch (err) {
    return `cannot create network namespaces here: ${firstLine(err)}`
  }
  await ip('netns', 'del', probe)
  return undefined
}

/**
 * `count` hosts on one Ethernet segment: a network namespace each, with an address 10.200.0.N/24,
 * loopback up and multicast routed onto its link (mDNS), and a switch (a bridge in a namespace of its
 * own) that joins the links. Nothing of it is visible outside these namespaces, so the hosts' traffic,
 * multicast included, stays on the test segment.
 */
export async function createLan (count: number): Promise<TestLan> {
  if (!Number.isInteger(count) || count < 2 || count > 9) throw new LanSetupError(`a test LAN has 2 to 9 hosts, not ${count}`)
  const tag = `gm${process.pid}n${++lansMade}`
  const switchSpace = `${tag}sw`
  const hosts: LanHost[] = Array.from({ length: count }, (_, i) => {
    const namespace = `${tag}h${i + 1}`
    return { namespace, address: `${SUBNET}.${i + 1}`, launcher: ['ip', 'netns', 'exec', namespace] }
  })
  const remove = async (): Promise<void> => {
    for (const space of [...hosts.map(h => h.namespace), switchSpace]) await ip('netns', 'del', space).catch(() => {})
  }
  try {
    await ip('netns', 'add', switchSpace)
    await ip('-n', switchSpace, 'link', 'add', 'switch', 'type', 'bridge')
    await ip('-n', switchSpace, 'link', 'set', 'switch', 'up')
    for (const [i, host] of hosts.entries()) await plugIn(host, `${tag}p${i + 1}`, switchSpace)
  } catch (err) {
    await remove()
    throw new LanSetupError(`test LAN setup failed: ${firstLine(err)}`)
  }
  const client = async (host: LanHost, args: string[]): Promise<unknown> => {
    const { stdout } = await exec(host.launcher[0]!, [...host.launcher.slice(1), process.execPath, LAN_CLIENT, ...args])
    return JSON.parse(stdout)
  }
  return { hosts, client, remove }
}

/** Makes the host's namespace and a link from it (`eth0` inside) to a port of the switch. */
async function plugIn (host: LanHost, port: string, switchSpace: string): Promise<void> {
  const { namespace } = host
  await ip('netns', 'add', namespace)
  await ip('link', 'add', port, 'type', 'veth', 'peer', 'name', `${port}e`)
  await ip('link', 'set', port, 'netns', switchSpace)
  await ip('-n', switchSpace, 'link', 'set', port, 'master', 'switch')
  await ip('-n', switchSpace, 'link', 'set', port, 'up')
  await ip('link', 'set', `${port}e`, 'netns', namespace)
  await ip('-n', namespace, 'link', 'set', `${port}e`, 'name', 'eth0')
  await ip('-n', namespace, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0')
  await ip('-n', namespace, 'link', 'set', 'eth0', 'up')
  await ip('-n', namespace, 'link', 'set', 'lo', 'up')
  await ip('-n', namespace, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
}
