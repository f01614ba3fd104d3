// Real Yjs clients (yjs + y-websocket + ws, unmodified) against the collaborative workspace.
// Driven by tests/workspace.rs: `node workspace.mjs <mode> <baseUrl> <dossier> …`; prints one JSON
// object on stdout (or, for `stream`, appends acknowledged ids to a file as they arrive).

import fs from 'node:fs'
import crypto from 'node:crypto'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'

const [mode, baseUrl, dossier, ...rest] = process.argv.slice(2)
const wsBase = baseUrl.replace(/^http/, 'ws') + '/ws'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function waitFor (pred, what, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (pred()) return
    await sleep(20)
  }
  throw new Error(`timeout waiting for ${what}`)
}

/** A y-websocket client; `warnings` collects console.warn lines of the provider (permission denied). */
function connect (token, { connect = true } = {}) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(wsBase, dossier, doc, {
    params: { token },
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    connect
  })
  return { doc, provider, synthesis: doc.getXmlFragment('synthesis') }
}

async function synced (client) {
  await waitFor(() => client.provider.synced, 'sync')
}

function close (...clients) {
  for (const c of clients) c.provider.destroy()
}

/** The synthesis as the server holds it: what a fresh client receives. */
async function serverSynthesis (token) {
  const c = connect(token)
  await synced(c)
  const s = c.synthesis.toString()
  const annotations = c.doc.getMap('annotations').toJSON()
  close(c)
  return { synthesis: s, annotations }
}

function paragraphText (fragment, i) {
  const p = fragment.get(i)
  return p && p.get(0)
}

async function converge ([t1, t2, t3, tLate]) {
  const clients = [connect(t1), connect(t2), connect(t3)]
  await Promise.all(clients.map(synced))
  // Presence: each client says who it is and which page it reads.
  clients.forEach((c, i) => c.provider.awareness.setLocalStateField('user', { name: `Substitut ${i + 1}` }))
  clients[0].provider.awareness.setLocalStateField('page', 12)
  clients[0].doc.transact(() => {
    const p = new Y.XmlElement('paragraph')
    p.insert(0, [new Y.XmlText('Résumé des faits : ')])
    clients[0].synthesis.insert(0, [p])
  })
  await waitFor(() => clients.every((c) => paragraphText(c.synthesis, 0)), 'first paragraph everywhere')
  const perClient = 30
  await Promise.all(clients.map(async (c, i) => {
    for (let n = 0; n < perClient; n++) {
      const text = paragraphText(c.synthesis, 0)
      // Insert between markers, never inside one, so every marker stays readable.
      const str = text.toString()
      const safe = []
      let depth = 0
      for (let k = 0; k <= str.length; k++) {
        if (depth === 0) safe.push(k)
        if (str[k] === '[') depth++
        if (str[k] === ']') depth--
      }
      const pos = safe[Math.floor(Math.random() * safe.length)]
      text.insert(pos, `[c${i}:${n}]`)
      if (n === 10) {
        const p = new Y.XmlElement('paragraph')
        p.insert(0, [new Y.XmlText(`Paragraphe du substitut ${i + 1}.`)])
        c.synthesis.push([p])
      }
      await sleep(Math.random() * 15)
    }
  }))
  const markers = (s) => (s.match(/\[c\d:\d+\]/g) || []).length
  await waitFor(() => {
    const s = clients.map((c) => c.synthesis.toString())
    return s.every((x) => x === s[0]) && markers(s[0]) === 3 * perClient && clients[0].synthesis.length === 4
  }, 'convergence')
  await waitFor(() => {
    const st = clients[1].provider.awareness.getStates()
    return [...st.values()].some((s) => s.page === 12 && s.user && s.user.name === 'Substitut 1')
  }, 'presence of client 1 at client 2')
  const contents = clients.map((c) => c.synthesis.toString())
  const presence = [...clients[2].provider.awareness.getStates().values()].map((s) => s.user && s.user.name).filter(Boolean).sort()
  close(...clients)
  const late = await serverSynthesis(tLate)
  return { contents, late: late.synthesis, markers: markers(contents[0]), presence }
}

async function offline ([tA, tB, tLate]) {
  const a = connect(tA)
  const b = connect(tB)
  await Promise.all([synced(a), synced(b)])
  a.doc.getText('notes').insert(0, 'début. ')
  await waitFor(() => b.doc.getText('notes').toString() === 'début. ', 'first edit at B')
  a.provider.disconnect()
  for (let n = 0; n < 10; n++) {
    a.doc.getText('notes').insert(a.doc.getText('notes').length, `horsligne${n} `)
    b.doc.getText('notes').insert(0, `enligne${n} `)
    await sleep(10)
  }
  await sleep(300)
  const bWhileOffline = b.doc.getText('notes').toString()
  a.provider.connect()
  await waitFor(() => a.doc.getText('notes').toString() === b.doc.getText('notes').toString() &&
    a.doc.getText('notes').toString().includes('horsligne9'), 'offline merge')
  const merged = a.doc.getText('notes').toString()
  close(a, b)
  const late = connect(tLate)
  await synced(late)
  const lateText = late.doc.getText('notes').toString()
  close(late)
  return { bWhileOffline, merged, late: lateText }
}

async function correction ([tA, tB]) {
  const a = connect(tA)
  const b = connect(tB)
  await Promise.all([synced(a), synced(b)])
  const id = `corr-${crypto.randomUUID()}`
  a.doc.getArray('corrections').push([
    { id, author: 'substitut.a', time: new Date().toISOString(), change: { kind: 'answer_edited', answer: 'q-itt', text: "ITT de 10 jours selon le certificat de l'UMJ" } },
    { id: `${id}-bad`, author: 'substitut.a', time: new Date().toISOString(), change: { kind: 'supprimer_le_dossier' } }
  ])
  const status = b.doc.getMap('correctionStatus')
  await waitFor(() => status.has(id) && status.has(`${id}-bad`), 'correction status at B')
  const out = { id, good: status.get(id), bad: status.get(`${id}-bad`), seenByB: b.doc.getArray('corrections').length }
  close(a, b)
  return out
}

/** A raw WebSocket to the room; resolves with what happened. */
function raw (token, frames = [], waitMs = 1500) {
  return new Promise((resolve) => {
    const url = token === null ? `${wsBase}/${dossier}` : `${wsBase}/${dossier}?token=${encodeURIComponent(token)}`
    const ws = new WebSocket(url)
    const result = { status: null, opened: false, received: 0, closeCode: null }
    ws.on('unexpected-response', (_req, res) => {
      result.status = res.statusCode
      let body = ''
      res.on('data', (d) => { body += d })
      res.on('end', () => { result.body = body; resolve(result) })
    })
    ws.on('error', (e) => { result.error = String(e.message) })
    ws.on('message', () => { result.received++ })
    ws.on('open', async () => {
      result.opened = true
      for (const f of frames) {
        if (ws.readyState !== WebSocket.OPEN) break
        ws.send(f)
        await sleep(20)
      }
      setTimeout(() => { if (ws.readyState === WebSocket.OPEN) ws.close(); }, waitMs)
    })
    ws.on('close', (code) => { result.closeCode = code; resolve(result) })
  })
}

function updateMessage (update) {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0) // messageSync
  syncProtocol.writeUpdate(e, update)
  return Buffer.from(encoding.toUint8Array(e))
}

async function negative ([tWriter, tReader, tOutsider, maxBytes]) {
  const w = connect(tWriter)
  await synced(w)
  const p = new Y.XmlElement('paragraph')
  p.insert(0, [new Y.XmlText('Texte de référence.')])
  w.synthesis.insert(0, [p])
  await sleep(300)
  close(w)
  const baseline = (await serverSynthesis(tWriter)).synthesis
  const out = { baseline }

  out.noToken = await raw(null)
  out.wrongToken = await raw('0'.repeat(64))
  out.nonMember = await raw(tOutsider)

  // A read-only member writes: refused, and told so by an auth message.
  const warnings = []
  const warn = console.warn
  console.warn = (...args) => warnings.push(args.join(' '))
  const r = connect(tReader)
  await synced(r)
  const rp = new Y.XmlElement('paragraph')
  rp.insert(0, [new Y.XmlText('VANDALISME')])
  r.synthesis.push([rp])
  await waitFor(() => warnings.some((x) => x.includes('Permission denied')), 'permission denied at the reader', 5000).catch(() => {})
  close(r)
  console.warn = warn
  out.readOnly = { warnings, after: (await serverSynthesis(tWriter)).synthesis }

  // Oversized message.
  out.oversized = await raw(tWriter, [updateMessage(crypto.randomBytes(Number(maxBytes) + 1024))])
  out.afterOversized = (await serverSynthesis(tWriter)).synthesis

  // Random bytes: pure noise, then noise inside a sync-update envelope.
  const noise = []
  for (let i = 0; i < 20; i++) noise.push(crypto.randomBytes(1 + Math.floor(Math.random() * 300)))
  out.randomBytes = await raw(tWriter, noise)
  out.randomUpdate = await raw(tWriter, [updateMessage(crypto.randomBytes(200))])
  out.afterRandom = (await serverSynthesis(tWriter)).synthesis

  // A real update, truncated.
  const d = new Y.Doc()
  d.getXmlFragment('synthesis').insert(0, [new Y.XmlText('TRONQUÉ '.repeat(20))])
  const full = Y.encodeStateAsUpdate(d)
  out.truncated = await raw(tWriter, [updateMessage(full.slice(0, Math.floor(full.length / 2)))])
  out.afterTruncated = (await serverSynthesis(tWriter)).synthesis
  return out
}

/**
 * Writers stream annotations; an observer appends to `ackFile` every annotation id it receives
 * from the server (the server broadcasts only what is already in its log). Runs until killed.
 */
async function stream ([tWriter, tObserver, ackFile, writers]) {
  const observer = connect(tObserver)
  await synced(observer)
  const fd = fs.openSync(ackFile, 'a')
  observer.doc.getMap('annotations').observe((event) => {
    const ids = [...event.keysChanged].join('\n')
    if (ids) fs.writeSync(fd, ids + '\n')
  })
  const ws = []
  for (let i = 0; i < Number(writers); i++) ws.push(connect(tWriter))
  await Promise.all(ws.map(synced))
  fs.writeSync(fd, 'READY\n')
  let n = 0
  for (;;) {
    for (const [i, c] of ws.entries()) {
      c.doc.getMap('annotations').set(`w${i}-${n}`, {
        document: 'procedure.pdf', page: 1 + (n % 40), boxes: [[72, 100 + n % 500, 300, 114 + n % 500]],
        quote: `passage ${n}`, comment: `note ${n} de l'auteur ${i}`, author: `substitut-${i}`, time: new Date().toISOString(), resolved: false
      })
    }
    n++
    await sleep(5)
  }
}

async function dump ([token]) {
  const s = await serverSynthesis(token)
  return { annotations: Object.keys(s.annotations) }
}

/** The synthesis as a fresh client receives it: each block's node name, text and citation marks. */
async function draft ([token]) {
  const c = connect(token)
  await synced(c)
  const blocks = c.synthesis.toArray().map((el) => {
    const text = el.get(0)
    const delta = text ? text.toDelta() : []
    return {
      node: el.nodeName,
      text: delta.map((d) => d.insert).join(''),
      citations: delta.filter((d) => d.attributes && d.attributes.citation).map((d) => ({ run: d.insert, ...d.attributes.citation }))
    }
  })
  close(c)
  return { blocks }
}

const modes = { converge, offline, correction, negative, stream, dump, draft }
const run = modes[mode]
if (!run) {
  console.error(`unknown mode ${mode}`)
  process.exit(2)
}
run(rest).then((result) => {
  if (result !== undefined) process.stdout.write(JSON.stringify(result) + '\n')
  process.exit(0)
}, (err) => {
  console.error(err && err.stack ? err.stack : String(err))
  process.exit(1)
})
