// Load generator for the workspace bench (benches/benches/workspace.rs): the same workload against
// any y-websocket server. `node workspace-load.mjs <wsUrl> <clients> <seconds> <editsPerClientPerSecond> [token]`
// N connections in one room each send small Yjs edits (an item pushed to a Y.Array, stamped with
// the send time); a few of them are observers that apply everything they receive to a Y.Doc and
// measure the fan-out latency (receive time − send time, same clock). Prints one JSON line.

import WebSocket from 'ws'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'

const [url, clientsArg, secondsArg, rateArg, token] = process.argv.slice(2)
const clients = Number(clientsArg)
const seconds = Number(secondsArg)
const rate = Number(rateArg)
const observers = Math.min(4, clients)
const now = () => performance.timeOrigin + performance.now()
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const latencies = []
let sent = 0
let received = 0
let bytesIn = 0
let closed = 0
let measuring = false

function updateMessage (update) {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0)
  syncProtocol.writeUpdate(e, update)
  return encoding.toUint8Array(e)
}

function open (i) {
  return new Promise((resolve, reject) => {
    const full = token ? `${url}?token=${token}` : url
    const ws = new WebSocket(full, { perMessageDeflate: false })
    ws.binaryType = 'arraybuffer'
    const doc = new Y.Doc()
    const observer = i < observers
    const items = doc.getArray('bench')
    if (observer) {
      items.observe((event) => {
        if (event.transaction.local || !measuring) return
        const t = now()
        for (const d of event.changes.delta) {
          if (!d.insert) continue
          for (const it of d.insert) {
            if (it && typeof it.t === 'number') {
              latencies.push(t - it.t)
              received++
            }
          }
        }
      })
    }
    ws.on('message', (data) => {
      bytesIn += data.byteLength
      if (!observer) return
      const dec = decoding.createDecoder(new Uint8Array(data))
      if (decoding.readVarUint(dec) !== 0) return
      const type = decoding.readVarUint(dec)
      if (type === 1 || type === 2) Y.applyUpdate(doc, decoding.readVarUint8Array(dec), 'remote')
    })
    ws.on('close', () => { closed++ })
    ws.on('error', reject)
    ws.on('open', () => {
      // y-websocket's handshake: announce our state, as its clients do.
      const e = encoding.createEncoder()
      encoding.writeVarUint(e, 0)
      syncProtocol.writeSyncStep1(e, doc)
      ws.send(encoding.toUint8Array(e))
      resolve({ ws, doc, items })
    })
  })
}

const conns = []
for (let i = 0; i < clients; i++) {
  conns.push(await open(i))
  if (i % 25 === 24) await sleep(50)
}
await sleep(1000)

// Each client sends `rate` edits per second, phases spread evenly.
measuring = true
const start = now()
const period = 1000 / rate
const timers = conns.map((c, i) => setTimeout(function tick () {
  if (now() - start > seconds * 1000) return
  let update
  const capture = (u) => { update = u }
  c.doc.on('update', capture)
  c.items.push([{ t: now(), c: i }])
  c.doc.off('update', capture)
  if (c.ws.readyState === WebSocket.OPEN) {
    c.ws.send(updateMessage(update))
    sent++
  }
  setTimeout(tick, period)
}, (i / clients) * period))
await sleep(seconds * 1000 + 2000)
measuring = false
timers.forEach(clearTimeout)

latencies.sort((a, b) => a - b)
const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null
const expectedPerObserver = sent - sent / clients // an observer does not receive its own edits
const result = {
  clients,
  seconds,
  sent,
  sentPerSecond: sent / seconds,
  deliveredPerSecond: received / observers / seconds,
  deliveredRatio: expectedPerObserver > 0 ? received / observers / expectedPerObserver : null,
  p50ms: pct(0.5),
  p99ms: pct(0.99),
  mbIn: bytesIn / 1e6,
  closed
}
for (const c of conns) c.ws.terminate()
process.stdout.write(JSON.stringify(result) + '\n')
process.exit(0)
