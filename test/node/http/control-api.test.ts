import test from 'ava'
import { request } from 'node:http'
import { NodeApiError } from '../../../src/client/errors.js'
import type { CancelOutcome, JobInfo } from '../../../src/client/api-types.js'
import { InvalidJobError } from '../../../protocols/jobs/index.js'
import { SubmitterGoneError } from '../../../node/jobs/jobs-host.js'
import { JobIdTakenError } from '../../../node/jobs/pending-submissions.js'
import { TestReportsUnavailableError } from '../../../node/jobs/shard-reports.js'
import { GitFailedError, NotAGradleBuildError } from '../../../src/snapshot/index.js'
import { serveApi, TOKEN } from './api-server.js'

const auth = { Authorization: `Bearer ${TOKEN}` }

test('every endpoint refuses a missing or wrong token with 401 and says what to send', async t => {
  const { url } = await serveApi(t)
  for (const [method, path] of [['GET', 'status'], ['GET', 'peers'], ['GET', 'jobs'], ['GET', 'events/stream'], ['POST', 'cache/gc']] as const) {
    for (const headers of [{}, { Authorization: `Bearer ${'c'.repeat(64)}` }, { Authorization: TOKEN }]) {
      const response = await fetch(`${url}/api/v1/${path}`, { method, headers })
      t.is(response.status, 401, `${method} ${path} with ${JSON.stringify(headers)}`)
      t.regex((await response.json() as { error: string }).error, /bearer token/)
    }
  }
  t.is((await fetch(`${url}/api/v1/status`, { headers: auth })).status, 200)
})

test('POST bodies: oversized is 413, malformed JSON, wrong type or unknown fields are 400 with the reason', async t => {
  const { url } = await serveApi(t)
  const post = async (body: string, type = 'application/json'): Promise<{ status: number, error?: string }> => {
    const response = await fetch(`${url}/api/v1/cache/gc`, { method: 'POST', headers: { ...auth, 'Content-Type': type }, body })
    return { status: response.status, ...(await response.json() as { error?: string }) }
  }
  const big = await post(JSON.stringify({ pad: 'x'.repeat(100_000) }))
  t.is(big.status, 413)
  t.regex(big.error!, /over the 65536-byte limit/)
  t.like(await post('{"targetBytes": '), { status: 400 })
  t.regex((await post('{"targetBytes": ')).error!, /malformed JSON/)
  t.regex((await post('{"targetBytes": -1}')).error!, /invalid request body: targetBytes/)
  t.regex((await post('{"evict": "all"}')).error!, /invalid request body/)
  t.regex((await post('{}', 'text/plain')).error!, /Content-Type: application\/json/)
  t.deepEqual(await post('{"targetBytes": 0}'), { status: 200, evicted: 0, freedBytes: 0 })
})

test('an oversized body sent without Content-Length (chunked) is cut off at the limit with 413', async t => {
  const { url } = await serveApi(t)
  const { port } = new URL(url)
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/cache/gc', headers: { ...auth, 'Content-Type': 'application/json' } }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    const chunk = Buffer.alloc(16 * 1024, 0x20)
    for (let i = 0; i < 8; i++) req.write(chunk)
    req.end()
  })
  t.is(status, 413)
})

test('unknown endpoints are 404 and wrong methods 405, naming the right one', async t => {
  const { client, url } = await serveApi(t)
  const missing = await t.throwsAsync(async () => await client.job('nope'), { instanceOf: NodeApiError })
  t.is(missing.status, 404)
  t.regex(missing.message, /no such job: nope/)
  const wrong = await fetch(`${url}/api/v1/cache/gc`, { headers: auth })
  t.is(wrong.status, 405)
  t.regex((await wrong.json() as { error: string }).error, /use POST/)
  t.is((await fetch(`${url}/api/v1/nothing`, { headers: auth })).status, 404)
})

test('jobs: a node without distributed builds lists none; a jobs view plugs in with units and cancel', async t => {
  const plain = await serveApi(t)
  t.deepEqual(await plain.client.jobs(), [])
  t.is((await t.throwsAsync(async () => await plain.client.cancelJob('j1'), { instanceOf: NodeApiError })).status, 404)

  const job: JobInfo = {
    id: 'j1', state: 'running', leader: 'peer-a', submitter: 'peer-b', startedAt: new Date(0).toISOString(), tasks: ['build'],
    units: { total: 2, done: 1, running: 1, queued: 0, failed: 0 }, nodes: [{ peerId: 'peer-a', total: 2, done: 1, running: 1, failed: 0 }]
  }
  const cancelled: string[] = []
  const withJobs = await serveApi(t, {
    jobs: {
      list: () => [job],
      units: id => id === 'j1' ? [{ id: 'u1', jobId: 'j1', node: 'peer-a', state: 'done', tasks: [':a:test'], attempts: 1 }] : undefined,
      cancel: async (id, reason) => { cancelled.push(`${id}: ${reason}`); return id === 'j1' ? 'cancelled' : 'unknown' }
    }
  })
  t.deepEqual(await withJobs.client.jobs(), [job])
  t.is((await withJobs.client.units('j1'))[0]?.id, 'u1')
  t.deepEqual(await withJobs.client.cancelJob('j1', 'wrong branch'), { cancelled: 'j1', started: true })
  t.deepEqual(cancelled, ['j1: wrong branch'])
})

test('events: the JSON page and the stream both carry ids; gc and cache GETs appear as events', async t => {
  const { client, url } = await serveApi(t)
  const missKey = 'a'.repeat(64)
  t.is((await fetch(`${url}/cache/${missKey}`)).status, 404)
  await client.cacheGc()
  const page = await client.events()
  t.deepEqual(page.events.map(e => [e.id, e.type]), [[1, 'cache-get'], [2, 'cache-gc']])
  t.is(page.lastId, 2)
  t.like(page.events[0], { source: 'miss', key: missKey })
  t.deepEqual((await client.events(1)).events.map(e => e.id), [2])
})

test('events: a page holds the oldest events right after the asked id, and `next` pages on to the rest without a hole', async t => {
  const { url, events } = await serveApi(t)
  for (let i = 0; i < 250; i++) events.emit({ type: 'peer-up', peer: `p${i}` })
  const ids: number[] = []
  let after = 0
  for (let pages = 0; pages < 5 && after < events.lastId; pages++) {
    const page = await (await fetch(`${url}/api/v1/events?after=${after}&limit=100`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json() as { events: Array<{ id: number }>, next: number, lastId: number }
    ids.push(...page.events.map(e => e.id))
    t.is(page.lastId, 250)
    after = page.next
  }
  t.deepEqual(ids, Array.from({ length: 250 }, (_, i) => i + 1), 'every event once, in order, over three pages')
})

test('events: a page of limit 0 is refused with 400 (its `next` could never move on), not a 500', async t => {
  const { url, events } = await serveApi(t)
  for (let i = 0; i < 3; i++) events.emit({ type: 'peer-up', peer: `p${i}` })
  const res = await fetch(`${url}/api/v1/events?after=1&limit=0`, { headers: { Authorization: `Bearer ${TOKEN}` } })
  t.is(res.status, 400)
  t.regex((await res.json() as { error: string }).error, /limit must be 1 or more/)
})

test('events: without `after` the client gets the newest 100, not the oldest', async t => {
  const { client, events } = await serveApi(t)
  for (let i = 0; i < 500; i++) events.emit({ type: 'peer-up', peer: `p${i}` })
  const page = await client.events()
  t.deepEqual(page.events.map(e => e.id), events.recent(100).map(e => e.id))
  t.is(page.events.at(-1)?.id, events.lastId)
  t.like(page, { next: events.lastId, lastId: events.lastId, missed: 0 })
})

test('events: a page after an id older than the buffer says how many events it no longer holds', async t => {
  const { client, events } = await serveApi(t, { ringCapacity: 4 })
  for (let i = 0; i < 10; i++) events.emit({ type: 'peer-up', peer: `p${i}` })
  const page = await client.events(2)
  t.deepEqual(page.events.map(e => e.id), [7, 8, 9, 10])
  t.is(page.missed, 4, 'events 3 to 6 were overwritten')
  t.is((await client.events(8)).missed, 0)
})

test('jobs/ID/test-reports: a done job\'s shard reports by unit through the client; unknown jobs 404, unavailable reports 409 with the reason, a node failing to read them 500', async t => {
  const plain = await serveApi(t)
  t.regex((await t.throwsAsync(async () => await plain.client.jobTestReports('j1'), { instanceOf: NodeApiError })).message, /does not serve test reports/)

  const units = { s1: [{ name: 'TEST-example.money.MoneyTest.xml', content: '<testsuite tests="3"/>' }], s2: [] }
  const asked: string[] = []
  const { client } = await serveApi(t, {
    jobs: {
      list: () => [],
      units: () => undefined,
      cancel: async () => 'unknown',
      testReports: async id => {
        asked.push(id)
        if (id === 'running-job') throw new TestReportsUnavailableError('job running-job is running: its test reports are served once it is done')
        if (id === 'broken-job') throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })
        return id === 'done-job' ? { units } : undefined
      }
    }
  })
  t.deepEqual(await client.jobTestReports('done-job'), { units })
  const missing = await t.throwsAsync(async () => await client.jobTestReports('other'), { instanceOf: NodeApiError })
  t.is(missing.status, 404)
  t.regex(missing.message, /no such job submitted from this node: other/)
  const early = await t.throwsAsync(async () => await client.jobTestReports('running-job'), { instanceOf: NodeApiError })
  t.is(early.status, 409)
  t.regex(early.message, /no test reports for job running-job: .*served once it is done/)
  t.deepEqual(asked, ['done-job', 'other', 'running-job'], 'a 4xx is not retried')
  const broken = await t.throwsAsync(async () => await client.jobTestReports('broken-job'), { instanceOf: NodeApiError })
  t.is(broken.status, 500, 'the node failing is no conflict of the client\'s')
  t.regex(broken.message, /EIO: i\/o error/)
})

test('jobs: a cancel says whether the job had started, 409 once it is over; a submission with a malformed job id is 400', async t => {
  const outcomes = new Map<string, CancelOutcome>([['a-00000001', 'cancelled'], ['b-00000002', 'stopped-before-start'], ['c-00000003', 'ended']])
  const submitted: string[] = []
  const { client } = await serveApi(t, {
    jobs: {
      list: () => [],
      units: () => undefined,
      cancel: async id => outcomes.get(id) ?? 'unknown',
      submit: async request => { submitted.push(request.jobId ?? 'none'); return { jobId: request.jobId ?? 'picked' } }
    }
  })
  t.deepEqual(await client.cancelJob('a-00000001'), { cancelled: 'a-00000001', started: true })
  t.deepEqual(await client.cancelJob('b-00000002'), { cancelled: 'b-00000002', started: false })
  const over = await t.throwsAsync(client.cancelJob('c-00000003'), { instanceOf: NodeApiError })
  t.is(over.status, 409)
  t.regex(over.message, /job c-00000003 is over already.*nothing to cancel/)
  t.is((await t.throwsAsync(client.cancelJob('d-00000004'), { instanceOf: NodeApiError })).status, 404)

  const units = [{ id: 'u', name: ':a', project: ':a', tasks: [':a:build'], run: [':a:build'], exclude: [], testFilters: [], dependsOn: [] }]
  const bad = await t.throwsAsync(client.submitJob({ jobId: '../x', projectDir: '/p', requested: ['build'], units }), { instanceOf: NodeApiError })
  t.is(bad.status, 400)
  t.regex(bad.message, /jobId/)
  t.deepEqual(await client.submitJob({ jobId: 'lz1x2y3-0123456789abcdef', projectDir: '/p', requested: ['build'], units }), { jobId: 'lz1x2y3-0123456789abcdef' })
  t.deepEqual(submitted, ['lz1x2y3-0123456789abcdef'], 'the malformed one never reached the jobs view')
})

test('jobs: a submission the node fails to start is a 500 with the reason; only what the submitter can change is a 4xx', async t => {
  const failures = new Map<string, Error>([
    ['/disk-full', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })],
    ['/unreadable-file', Object.assign(new Error('EACCES: permission denied, open \'/unreadable-file/secret\''), { code: 'EACCES', path: '/unreadable-file/secret' })],
    ['/missing', Object.assign(new Error('ENOENT: no such file or directory, scandir \'/missing\''), { code: 'ENOENT', path: '/missing' })],
    ['/cycle', new InvalidJobError('unit a depends on itself')],
    ['/cancelled', new SubmitterGoneError()],
    ['/id-used-before', new JobIdTakenError('lz1x2y3-0123456789abcdef', true)],
    ['/not-a-build', new NotAGradleBuildError('/not-a-build', [])],
    ['/git-failed', new GitFailedError('/git-failed', 'git ls-files -z --stage', 'fatal: detected dubious ownership in repository at \'/git-failed\'')]
  ])
  const { client } = await serveApi(t, {
    jobs: {
      list: () => [],
      units: () => undefined,
      cancel: async () => 'unknown',
      submit: async request => { throw failures.get(request.projectDir)! }
    }
  })
  const units = [{ id: 'u', name: ':a', project: ':a', tasks: [':a:build'], run: [':a:build'], exclude: [], testFilters: [], dependsOn: [] }]
  const statusOf = async (projectDir: string): Promise<[number, string]> => {
    const err = await t.throwsAsync(client.submitJob({ projectDir, requested: ['build'], units }), { instanceOf: NodeApiError })
    return [err.status, err.message]
  }
  t.deepEqual(await statusOf('/disk-full'), [500, 'cannot start the build: ENOSPC: no space left on device, write'])
  t.is((await statusOf('/unreadable-file'))[0], 500, 'a file inside the project the node cannot read while snapshotting')
  t.deepEqual(await statusOf('/missing'), [400, 'cannot start the build: ENOENT: no such file or directory, scandir \'/missing\''])
  t.is((await statusOf('/cycle'))[0], 400)
  t.is((await statusOf('/cancelled'))[0], 409)
  t.deepEqual(await statusOf('/id-used-before'), [409, 'cannot start the build: job id lz1x2y3-0123456789abcdef is already in use on this node (a job that ended used it before): submit with another'])
  t.deepEqual(await statusOf('/not-a-build'), [400, 'cannot start the build: "/not-a-build" has no settings.gradle(.kts) or build.gradle(.kts) at its root: snapshot the root directory of a Gradle build'])
  const [status, message] = await statusOf('/git-failed')
  t.is(status, 500, 'git failing on the project is the node\'s environment')
  t.regex(message, /git config --global --add safe\.directory \/git-failed/)
})
