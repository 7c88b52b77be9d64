// The reference of bench/tui: what ink itself costs to redraw a frame the size of gmesh top's, with
// nothing else (no HTTP, no store, one plain Text node whose lines change at every redraw).
// Import it dynamically, after NODE_ENV is set: it loads React.
import { useEffect, useState } from 'react'
import { Box, render, Text } from 'ink'
import { fakeTerminal } from './fake-terminal.js'

/** A header, a tab line and a body of lines like the events view's (not padded) that scroll by one at every tick. */
function ScrollingLines ({ columns, lines, everyMs }: { columns: number, lines: number, everyMs: number }): React.JSX.Element {
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => { setTick(n => n + 1) }, everyMs)
    return () => { clearInterval(timer) }
  }, [everyMs])
  const body = Array.from({ length: lines }, (_, i) => `  12:00:00 cache hit   ${String(tick + i).padStart(6, '0')}feedbe from peer (3.0 ms)`)
  return (
    <Box flexDirection='column' width={columns}>
      <Text>gmesh top · {tick}</Text>
      <Text> 1 peers  2 jobs  3 cache  4 events </Text>
      <Box flexDirection='column' height={lines}><Text>{body.join('\n')}</Text></Box>
    </Box>
  )
}

/** CPU (% of a core, this thread) of bare ink redrawing a `columns` x `rows` frame every `everyMs` for `seconds`. */
export async function measureInkFloor (options: { columns: number, rows: number, everyMs: number, seconds: number, maxFps: number }): Promise<{ cpuPercent: number, frames: number }> {
  const term = fakeTerminal(options.columns, options.rows)
  let frames = 0
  term.onFrame(() => { frames++ })
  const app = render(<ScrollingLines columns={options.columns} lines={options.rows - 4} everyMs={options.everyMs} />, {
    stdout: term.stdout, stdin: term.stdin, exitOnCtrlC: false, patchConsole: false, maxFps: options.maxFps, incrementalRendering: true
  })
  await new Promise(resolve => setTimeout(resolve, 500))
  frames = 0
  const cpu0 = process.threadCpuUsage()
  const started = performance.now()
  await new Promise(resolve => setTimeout(resolve, options.seconds * 1000))
  const cpu = process.threadCpuUsage(cpu0)
  const wall = performance.now() - started
  const drawn = frames // the window's frames: unmounting draws more
  app.unmount()
  return { cpuPercent: 100 * (cpu.user + cpu.system) / 1000 / wall, frames: drawn }
}
