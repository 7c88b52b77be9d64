import { useEffect, useRef, useState } from 'react'
import { Box, Text, useApp, useInput, useStdout } from 'ink'
import type { TuiState, TuiStore } from '../store.js'
import { CacheView } from './cache-view.js'
import { EventsView } from './events-view.js'
import { Header, headerLines } from './header.js'
import { JobsView } from './jobs-view.js'
import { PeersView, peersMaxOffset } from './peers-view.js'
import { readKeys } from '../keys.js'

export const VIEWS = ['peers', 'jobs', 'cache', 'events'] as const
export type ViewName = typeof VIEWS[number]

export interface AppProps {
  store: TuiStore
  initialView?: ViewName
  /** Called when the user quits (q or Ctrl-C). */
  onQuit?: () => void
}

/** The terminal's size, following resizes (80x24 when unknown). */
function useTerminalSize (): { columns: number, rows: number } {
  const { stdout } = useStdout()
  const read = (): { columns: number, rows: number } => ({ columns: stdout.columns ?? 80, rows: stdout.rows ?? 24 })
  const [size, setSize] = useState(read)
  useEffect(() => {
    const onResize = (): void => { setSize(read()) }
    stdout.on('resize', onResize)
    return () => { stdout.off('resize', onResize) }
  }, [stdout])
  return size
}

/** What each view draws from, besides the header: a change elsewhere does not redraw it. */
const SLICES: Record<ViewName, Array<keyof TuiState>> = {
  peers: ['peers'], jobs: ['jobs'], cache: ['cache', 'history'], events: ['events', 'missedEvents', 'nodeRestarts']
}
const HEADER: Array<keyof TuiState> = ['node', 'peers', 'jobs', 'connected', 'error']

/** The store's state, re-rendering only when a field the current view (or the header) shows has changed. */
function useViewState (store: TuiStore, view: ViewName): TuiState {
  const [state, setState] = useState(() => store.snapshot)
  useEffect(() => {
    const fields = [...HEADER, ...SLICES[view]]
    const check = (): void => { setState(shown => fields.some(f => shown[f] !== store.snapshot[f]) ? store.snapshot : shown) }
    check()
    return store.subscribe(check)
  }, [store, view])
  return state
}

/** `gmesh top`: a header, a tab bar and the selected view; tab/←/→/1-4 switch, ↑/↓ scroll, q quits. */
export function App ({ store, initialView = 'peers', onQuit }: AppProps): React.JSX.Element {
  const [view, setView] = useState<ViewName>(initialView)
  const state = useViewState(store, view)
  const [offset, setOffset] = useState(0)
  const { exit } = useApp()
  const { columns, rows } = useTerminalSize()
  // header and tab bar are cut to one screen line each, so their lines are known; one line is
  // left free, as output as tall as the terminal makes ink clear and redraw the whole screen
  const body = Math.max(1, rows - headerLines(state) - 1 - 2)
  // Only the peers view scrolls; the offset never passes its end, so ↑ moves at once after many ↓.
  const maxOffset = useRef(0)
  maxOffset.current = view === 'peers' ? peersMaxOffset(state.peers.length, body) : 0
  useInput((input, key) => {
    // The handler may be one render behind: view changes go through updaters, never the closure's `view`.
    const command = readKeys(input, key)
    if (command.quit) {
      onQuit?.()
      exit()
      return
    }
    const move = command.view
    if (move != null) {
      setView(current => VIEWS[move(VIEWS.indexOf(current), VIEWS.length)]!)
      setOffset(0)
    }
    const scroll = command.scroll
    // from the offset as shown (a resize may have lowered the end), never past either end
    if (scroll !== 0) setOffset(o => Math.max(0, Math.min(maxOffset.current, Math.min(maxOffset.current, o) + scroll)))
  })
  // The body is clipped to its height only: every view cuts its lines to the width itself, and clipping
  // across as well would make ink slice every line of every frame again (a tenth of the events view's CPU).
  return (
    <Box flexDirection='column' width={columns}>
      <Header state={state} width={columns} />
      <Text wrap='truncate-end'>
        {VIEWS.map((name, i) => <Text key={name} inverse={name === view}>{` ${i + 1} ${name} `}</Text>)}
        <Text dimColor>  tab: next view  q: quit</Text>
      </Text>
      <Box flexDirection='column' height={body} overflowY='hidden'>
        {view === 'peers' ? <PeersView peers={state.peers} width={columns} height={body} offset={offset} /> : null}
        {view === 'jobs' ? <JobsView jobs={state.jobs} width={columns} height={body} /> : null}
        {view === 'cache' ? <CacheView cache={state.cache} history={state.history} width={columns} height={body} /> : null}
        {view === 'events' ? <EventsView events={state.events} missed={state.missedEvents} restarts={state.nodeRestarts} width={columns} height={body} /> : null}
      </Box>
    </Box>
  )
}
