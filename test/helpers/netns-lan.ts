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
  hosts: [LanHost, LanHost]
  /** Runs the LAN client (lan-client.ts) on `host` and resolves to the JSON it prints. */
  client: (host: LanHost, args: string[]) => Promise<unknown>
  /** Deletes the namespaces, and with them the link; stop the hosts' processes first. */
  remove: () => Promise<void>
}

export class LanSetupError extends Error {
  override name = 'LanSetupError'
}

const LAN_CLIENT = fileURLToPath(new URL('./lan-client.js', import.meta.url))
const SUBNET = '10.200.0'

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
 * Two hosts on one Ethernet segment: two network namespaces joined by a veth pair, with addresses
 * 10.200.0.1 and .2/24, loopback up and multicast routed onto the link (mDNS). Nothing of it is
 * visible outside the namespaces, so the hosts' traffic, multicast included, stays on the test link.
 */
export async function createLan (): Promise<TestLan> {
  const tag = `gm${process.pid}`
  const names = ['a', 'b'].map(side => ({ namespace: `${tag}${side}`, link: `${tag}v${side}` }))
  const hosts = names.map((n, i) => ({ namespace: n.namespace, address: `${SUBNET}.${i + 1}`, launcher: ['ip', 'netns', 'exec', n.namespace] })) as [LanHost, LanHost]
  const remove = async (): Promise<void> => {
    for (const { namespace } of names) await ip('netns', 'del', namespace).catch(() => {})
  }
  try {
    for (const { namespace } of names) await ip('netns', 'add', namespace)
    await ip('link', 'add', names[0]!.link, 'type', 'veth', 'peer', 'name', names[1]!.link)
    for (const [i, { namespace, link }] of names.entries()) {
      await ip('link', 'set', link, 'netns', namespace)
      await ip('-n', namespace, 'addr', 'add', `${hosts[i]!.address}/24`, 'dev', link)
      await ip('-n', namespace, 'link', 'set', link, 'up')
      await ip('-n', namespace, 'link', 'set', 'lo', 'up')
      await ip('-n', namespace, 'route', 'add', '224.0.0.0/4', 'dev', link)
    }
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
