// A correction made by one real Yjs client changes what another client receives on the events
// channel. Driven by tests/api.rs:
//   node correction-events.mjs <baseUrl> <dossier> <writerToken> <readerToken> <category>
// Client B (reader) follows `GET /api/dossiers/{d}/events` (server-sent events); client A
// (writer, yjs + y-websocket, unmodified) appends an `offence_rejected` correction to the room's
// `corrections` array. Prints one JSON object: the correction's status, and the `offences` and
// `answers` events B received after it.

import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [baseUrl, dossier, writerToken, readerToken, category] = process.argv.slice(2)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function waitFor (pred, what, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    const v = pred()
    if (v) return v
    await sleep(20)
  }
  throw new Error(`timeout waiting for ${what}`)
}

// Client B: the event stream, parsed as it arrives.
const events = []
const controller = new AbortController()
const resp = await fetch(`${baseUrl}/api/dossiers/${dossier}/events`, {
  headers: { Authorization: `Bearer ${readerToken}`, Accept: 'text/event-stream' },
  signal: controller.signal
})
if (resp.status !== 200) throw new Error(`events: HTTP ${resp.status}`)
const reading = (async () => {
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for await (const chunk of resp.body) {
      buffer += decoder.decode(chunk, { stream: true })
      let cut
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut)
        buffer = buffer.slice(cut + 2)
        let name = 'message'
        const data = []
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) name = line.slice(6).trim()
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
        }
        if (data.length) events.push({ name, data: JSON.parse(data.join('\n')), at: Date.now() })
      }
    }
  } catch (e) {
    if (e.name !== 'AbortError') throw e
  }
})()
await waitFor(() => events.some((e) => e.name === 'progress'), 'first progress event')

// Client A: the room, and a correction appended like the web application does.
const doc = new Y.Doc()
const provider = new WebsocketProvider(baseUrl.replace(/^http/, 'ws') + '/ws', dossier, doc, {
  params: { token: writerToken },
  WebSocketPolyfill: WebSocket,
  disableBc: true
})
await waitFor(() => provider.synced, 'sync')
const id = `c-${Date.now()}`
const sentAt = Date.now()
doc.getArray('corrections').push([{
  id,
  author: 'alice',
  time: new Date().toISOString(),
  change: { kind: 'offence_rejected', offence: category, reason: 'Faits non caractérisés' }
}])
const status = doc.getMap('correctionStatus')
await waitFor(() => status.get(id), 'correction status')

const rejected = (list) => list.find((o) => o.category === category && o.review && o.review.kind === 'rejected')
const offences = await waitFor(() => events.find((e) => e.at >= sentAt && e.name === 'offences' && rejected(e.data)), 'offences event with the rejection')
const answers = await waitFor(() => events.find((e) => e.at >= sentAt && e.name === 'answers'), 'answers event', 30000).catch(() => null)

controller.abort()
await reading
provider.destroy()
console.log(JSON.stringify({
  status: status.get(id),
  offence: rejected(offences.data),
  answerCategories: answers ? answers.data.map((a) => a.category) : null,
  eventNames: [...new Set(events.map((e) => e.name))]
}))
process.exit(0)
