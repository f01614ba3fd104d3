// Drives the magistrate's web application in Debian's Chromium (headless, playwright-core)
// against a running server, as several users in separate browser contexts.
//
// Usage: node app.mjs <base-url> <screenshot-dir> <config.json>
// config: { users: { redacteur: {login, password}, second: {...}, lecteur: {...} },
//           files: [absolute paths of the PDFs to upload], question: "…" }
// Prints one JSON line: { steps: { name: { ok, ...details } } } and exits 0 when the script ran
// to the end (the Rust test asserts on the steps); exits non-zero only on a crash.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { launch } from "./browser.mjs";

const [base, shots, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, "utf8"));
const steps = {};
const T = 20000;

async function step(name, f) {
  const started = Date.now();
  try {
    steps[name] = { ok: true, ...((await f()) ?? {}), ms: Date.now() - started };
  } catch (e) {
    steps[name] = { ok: false, error: String(e && e.stack ? e.stack : e).slice(0, 2000), ms: Date.now() - started };
  }
}

async function shot(page, name, fullPage = true) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage });
}

/** Poll `f` until it returns a truthy value, or throw after `ms`. */
async function until(f, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function login(browser, user) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  await page.goto(base + "/");
  await page.locator('input[name="login"]').fill(user.login);
  await page.locator('input[name="password"]').fill(user.password);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.getByRole("heading", { name: "Mes dossiers" }).waitFor({ timeout: T });
  return page;
}

/** A JSON API call from inside the page (session cookie + CSRF token of that page). */
async function apiCall(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const s = await fetch("/api/session", { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : {}));
      const headers = { "Content-Type": "application/json" };
      if (method !== "GET" && s.csrf) headers["X-CSRF-Token"] = s.csrf;
      const r = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: r.status, json };
    },
    { method, path, body },
  );
}

/** Drop files on the drop zone the way a user's drag and drop does (a DataTransfer of Files). */
async function dropFiles(page, selector, paths) {
  const files = paths.map((p) => ({ name: basename(p), b64: readFileSync(p).toString("base64") }));
  await page.locator(selector).evaluate((zone, files) => {
    const dt = new DataTransfer();
    for (const f of files) {
      const bin = atob(f.b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      dt.items.add(new File([bytes], f.name, { type: "application/pdf" }));
    }
    zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files);
}

/** The reader's state: page shown, scale, highlight boxes back in PDF points, text under them. */
async function readerState(page) {
  await page.locator('.ap-page[data-rendered="oui"]').waitFor({ timeout: T });
  return page.evaluate(() => {
    const el = document.querySelector(".ap-page");
    const scale = Number(el.dataset.scale);
    const origin = el.getBoundingClientRect();
    const toPdf = (r) => ({
      x0: (r.left - origin.left) / scale,
      y0: (r.top - origin.top) / scale,
      x1: (r.right - origin.left) / scale,
      y1: (r.bottom - origin.top) / scale,
    });
    const current = [...el.querySelectorAll(".ap-highlight--current")].map((h) => toPdf(h.getBoundingClientRect()));
    // Text of the text layer under a current highlight. A span may hold a whole line (native
    // PDFs) or one word (OCR text): take, from each span the highlight crosses on the same line,
    // the characters its horizontal extent covers (pdf.js stretches a span to its text's width,
    // so positions are proportional), two characters of slack on each side.
    const spans = [...el.querySelectorAll(".textLayer span")];
    const highlights = [...el.querySelectorAll(".ap-highlight--current")].map((h) => h.getBoundingClientRect());
    const under = spans
      .flatMap((s) => {
        const r = s.getBoundingClientRect();
        const text = s.textContent;
        if (!text || r.width <= 0) return [];
        return highlights
          .filter((b) => {
            const cy = (r.top + r.bottom) / 2;
            return cy >= b.top - 2 && cy <= b.bottom + 2 && r.right >= b.left && r.left <= b.right;
          })
          .map((b) => {
            const from = Math.max(0, Math.floor(((b.left - r.left) / r.width) * text.length) - 2);
            const to = Math.min(text.length, Math.ceil(((b.right - r.left) / r.width) * text.length) + 2);
            return text.slice(from, to);
          });
      })
      .join(" ");
    // Is the canvas drawn (not blank) inside the first highlight?
    const canvas = el.querySelector("canvas");
    let inked = 0;
    if (current[0]) {
      const ctx = canvas.getContext("2d");
      const k = canvas.width / canvas.getBoundingClientRect().width;
      const b = current[0];
      const img = ctx.getImageData(b.x0 * scale * k, b.y0 * scale * k, Math.max(1, (b.x1 - b.x0) * scale * k), Math.max(1, (b.y1 - b.y0) * scale * k));
      for (let i = 0; i < img.data.length; i += 4) if (img.data[i] < 128) inked++;
    }
    return {
      document: el.dataset.document,
      page: Number(el.dataset.page),
      scale,
      current,
      under,
      inked,
      textSpans: spans.length,
      counter: document.querySelector("#numero-citation")?.textContent ?? null,
    };
  });
}

const browser = await launch();
let dossier = null;
let alice, bob, carol;
const citations = {};
try {
  await step("logged_out", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(base + "/");
    const api = await page.evaluate(async () => (await fetch("/api/dossiers")).status);
    await page.goto(base + "/dossiers/un-dossier/synthese");
    await page.locator('input[name="password"]').waitFor({ timeout: T });
    const form = await page.locator('input[name="password"]').count();
    const text = await page.locator("main").innerText();
    await shot(page, "01-connexion");
    await context.close();
    return { apiStatus: api, loginForm: form, showsNoDossier: !text.includes("Synthèse") };
  });

  await step("login", async () => {
    const wrong = await browser.newContext();
    const p = await wrong.newPage();
    await p.goto(base + "/");
    await p.locator('input[name="login"]').fill(config.users.redacteur.login);
    await p.locator('input[name="password"]').fill("mauvais mot de passe");
    await p.getByRole("button", { name: "Se connecter" }).click();
    const refusal = await p.locator(".fr-error-text, .fr-message--error").first().innerText({ timeout: T });
    await wrong.close();
    alice = await login(browser, config.users.redacteur);
    await shot(alice, "02-dossiers");
    return { refusal };
  });

  await step("create_and_upload", async () => {
    await alice.locator('input[name="nom"]').fill("Procédure d'essai — navigateur");
    await alice.getByRole("button", { name: "Créer le dossier" }).click();
    await alice.waitForURL(/\/dossiers\/[^/]+/, { timeout: T });
    dossier = decodeURIComponent(new URL(alice.url()).pathname.split("/")[2]);
    await alice.locator('[data-testid="depot"]').waitFor({ timeout: T });
    const uploadStarted = Date.now();
    await dropFiles(alice, '[data-testid="depot"]', config.files);
    const names = config.files.map((f) => basename(f));
    await until(async () => (await alice.locator('.ap-uploads li[data-state="reçu"]').count()) === names.length || (await alice.locator('.ap-uploads li[data-state="erreur"]').count()) > 0, T, "uploads");
    const states = await alice.locator(".ap-uploads li").evaluateAll((lis) => lis.map((li) => ({ file: li.dataset.file, state: li.dataset.state, text: li.innerText })));
    await shot(alice, "03-depot");
    // Reading: the progress line and the documents list update live (events stream).
    await until(async () => /2 document\(s\) lu\(s\) sur 2/.test(await alice.locator("#progression").innerText()), 180000, "documents read");
    await until(async () => (await alice.locator(".ap-documents li").count()) === 2 && !/lecture en cours/i.test(await alice.locator(".ap-documents").innerText()), T, "documents listed as read");
    const progress = await alice.locator("#progression").innerText();
    const docs = await alice.locator(".ap-documents li").evaluateAll((lis) => lis.map((li) => ({ id: li.dataset.document, text: li.innerText })));
    return { dossier, states, progress, docs, readMs: Date.now() - uploadStarted };
  });

  await step("members", async () => {
    const b = await apiCall(alice, "POST", `/api/dossiers/${encodeURIComponent(dossier)}/members`, { login: config.users.second.login, role: "redacteur" });
    const c = await apiCall(alice, "POST", `/api/dossiers/${encodeURIComponent(dossier)}/members`, { login: config.users.lecteur.login, role: "lecteur" });
    if (b.status >= 300 || c.status >= 300) throw new Error(`members: ${JSON.stringify([b, c])}`);
    return { statuses: [b.status, c.status] };
  });

  await step("overview", async () => {
    await alice.reload();
    await alice.locator("#pieces tbody tr").first().waitFor({ timeout: T });
    const pieces = await alice.locator("#pieces tbody tr").count();
    // Offences appear once computed (they may need a while after the text is read).
    const api = await until(async () => {
      const r = await apiCall(alice, "GET", `/api/dossiers/${encodeURIComponent(dossier)}/offences`);
      const list = Array.isArray(r.json) ? r.json : r.json?.offences;
      return Array.isArray(list) && list.length ? list : null;
    }, 20000, "offences from the API").catch(() => []);
    let shown = 0;
    let hover = null;
    if (api.length) {
      await alice.locator(".ap-offence").first().waitFor({ timeout: T });
      shown = await alice.locator(".ap-offence").count();
      const article = alice.locator(".ap-article").first();
      await article.hover();
      hover = (await article.locator(".ap-article__text").isVisible()) ? (await article.locator(".ap-article__text").innerText()).slice(0, 80) : null;
    }
    await shot(alice, "04-vue-ensemble");
    // An offence's evidence opens the reader on its first citation; "Citation suivante" walks
    // through the others (possibly on other pages).
    let evidence = null;
    const withEvidence = api.find((o) => o.evidence?.length > 1);
    if (withEvidence) {
      await alice.locator(`.ap-offence[data-category="${withEvidence.category}"]`).getByRole("button", { name: /Voir la source/ }).click();
      const first = await readerState(alice);
      await alice.getByRole("button", { name: "Citation suivante" }).click();
      await alice.waitForURL(/citation=1/, { timeout: T });
      const second = await readerState(alice);
      await shot(alice, "04b-infraction-citation-suivante");
      evidence = { citations: withEvidence.evidence.slice(0, 2), readers: [first, second] };
      await alice.goto(`${base}/dossiers/${encodeURIComponent(dossier)}`);
      await alice.locator("#pieces tbody tr").first().waitFor({ timeout: T });
    }
    // A piece opens the reader at its first page.
    const row = alice.locator("#pieces tbody tr").nth(1);
    const title = await row.locator("td").first().innerText();
    const pagesCell = await row.locator("td").nth(2).innerText();
    await row.click();
    const r = await readerState(alice);
    return { pieces, offencesApi: api.length, offencesShown: shown, hover, evidence, pieceTitle: title, pieceCell: pagesCell, readerPage: r.page, textSpans: r.textSpans };
  });

  await step("quick_view_and_source", async () => {
    const api = await until(async () => {
      const r = await apiCall(alice, "GET", `/api/dossiers/${encodeURIComponent(dossier)}/answers`);
      const list = Array.isArray(r.json) ? r.json : r.json?.answers;
      return Array.isArray(list) && list.some((a) => a.status === "found" && a.citations?.length) ? list : null;
    }, 20000, "found answers from the API");
    await alice.goto(`${base}/dossiers/${encodeURIComponent(dossier)}/reponses`);
    const found = api.find((a) => a.status === "found" && a.citations.length);
    const card = alice.locator(`.ap-answer[data-question="${found.question}"]`);
    await card.waitFor({ timeout: T });
    const cards = await alice.locator(".ap-answer").count();
    const cardText = await card.innerText();
    await shot(alice, "05-vue-rapide");
    await card.scrollIntoViewIfNeeded();
    await shot(alice, "05b-vue-rapide-ecran", false);
    const conflicting = alice.locator('.ap-answer[data-status="conflicting"]').first();
    if (await conflicting.count()) {
      await conflicting.scrollIntoViewIfNeeded();
      await shot(alice, "05c-versions-divergentes", false);
    }
    await card.locator(".ap-voir-source").first().click();
    const r = await readerState(alice);
    await shot(alice, "06-lecteur-source");
    citations.answer = found.citations;
    return { question: found.question, answerText: found.text, cards, cardText, citation: found.citations[0], reader: r, multi: found.citations.length };
  });

  await step("ask", async () => {
    await alice.goto(`${base}/dossiers/${encodeURIComponent(dossier)}/question`);
    await alice.locator("#question").fill(config.question);
    await alice.getByRole("button", { name: "Demander" }).click();
    await alice.locator("#reponse, .ap-ask-error").first().waitFor({ timeout: 60000 });
    if (await alice.locator(".ap-ask-error").count()) throw new Error(`ask refused: ${await alice.locator(".ap-ask-error").innerText()}`);
    const status = await alice.locator("#reponse").getAttribute("data-status");
    const answer = await alice.locator("#reponse").innerText();
    const links = await alice.locator(".ap-citation-link").count();
    await shot(alice, "07-question");
    let reader = null;
    let citation = null;
    if (links) {
      citation = JSON.parse(await alice.locator(".ap-citation-link").first().getAttribute("data-citation"));
      await alice.locator(".ap-citation-link").first().click();
      reader = await readerState(alice);
      await shot(alice, "07b-question-source");
    }
    return { status, answer, links, reader, citation };
  });

  await step("coedit_synthesis", async () => {
    bob = await login(browser, config.users.second);
    const url = `${base}/dossiers/${encodeURIComponent(dossier)}/synthese`;
    await alice.goto(url);
    await bob.goto(url);
    for (const p of [alice, bob]) await p.locator('.ap-synthesis[data-synced="oui"] .ProseMirror').waitFor({ timeout: T });
    const initial = await alice.locator(".ProseMirror").innerText();
    const aliceLine = "Note d'Alice : audition à compléter.";
    const bobLine = "Note de Bob : casier demandé.";
    await alice.locator(".ProseMirror").click();
    await alice.keyboard.press("Control+End");
    await alice.keyboard.press("Enter");
    await alice.keyboard.type(aliceLine);
    await until(async () => (await bob.locator(".ProseMirror").innerText()).includes(aliceLine), T, "Bob sees Alice's text");
    await bob.locator(".ProseMirror").click();
    await bob.keyboard.press("Control+End");
    await bob.keyboard.press("Enter");
    await bob.keyboard.type(bobLine);
    await until(async () => (await alice.locator(".ProseMirror").innerText()).includes(bobLine), T, "Alice sees Bob's text");
    // Presence: each sees the other; a remote cursor is drawn.
    const presence = await alice.locator(".ap-synthesis__bar .ap-presence__user").allInnerTexts();
    const cursors = await alice.locator(".ProseMirror-yjs-cursor").count();
    await shot(alice, "08-synthese-alice");
    await shot(bob, "09-synthese-bob");
    return { initialChars: initial.length, initialStart: initial.slice(0, 120), presence, cursors, aliceText: (await alice.locator(".ProseMirror").innerText()).slice(-200) };
  });

  await step("insert_cited_answer", async () => {
    await alice.goto(`${base}/dossiers/${encodeURIComponent(dossier)}/reponses`);
    const button = alice.getByRole("button", { name: "Insérer dans la synthèse" }).first();
    await button.waitFor({ timeout: T });
    const question = await button.evaluate((b) => b.closest(".ap-answer").dataset.question);
    await button.click();
    await until(async () => (await bob.locator(".ProseMirror .ap-citation").count()) > 0, T, "citation in Bob's editor");
    const label = await bob.locator(".ProseMirror .ap-citation").last().innerText();
    return { question, label };
  });

  await step("annotations", async () => {
    // Alice selects words in the reader and comments them; Bob sees the comment live.
    await alice.goto(`${base}/dossiers/${encodeURIComponent(dossier)}/lecteur`);
    await bob.goto(`${base}/dossiers/${encodeURIComponent(dossier)}/annotations`);
    await readerState(alice);
    const spans = alice.locator(".textLayer span");
    // A word run long enough to select (the text layer also holds the spaces between runs).
    const index = await spans.evaluateAll((all) => all.findIndex((s, i) => i > 5 && s.textContent.trim().length > 12));
    const target = spans.nth(index);
    const selected = await target.innerText();
    const box = await target.boundingBox();
    await alice.mouse.move(box.x + 1, box.y + box.height / 2);
    await alice.mouse.down();
    await alice.mouse.move(box.x + box.width - 1, box.y + box.height / 2, { steps: 5 });
    await alice.mouse.up();
    await alice.locator("#commentaire").waitFor({ timeout: T });
    const comment = "Vérifier ce passage avec l'enquêteur.";
    await alice.locator("#commentaire").fill(comment);
    await alice.getByRole("button", { name: "Enregistrer le commentaire" }).click();
    await alice.locator(".ap-annotation-box").first().waitFor({ timeout: T });
    await shot(alice, "10-annotation-lecteur");
    await bob.locator(".ap-annotations li").first().waitFor({ timeout: T });
    const seen = await bob.locator(".ap-annotation__comment").first().innerText();
    await bob.getByRole("button", { name: "Résoudre" }).first().click();
    await alice.goto(`${base}/dossiers/${encodeURIComponent(dossier)}/annotations`);
    await alice.locator('.ap-annotations li[data-resolved="oui"]').first().waitFor({ timeout: T });
    await shot(bob, "11-annotations-bob");
    return { comment, seen, selected };
  });

  await step("review_in_the_ui", async () => {
    // Alice corrects an answer with the quick view's buttons; Bob, on his own quick view, sees
    // the corrected text arrive without reloading (Yjs corrections → engine → events).
    const q = `${base}/dossiers/${encodeURIComponent(dossier)}/reponses`;
    await alice.goto(q);
    await bob.goto(q);
    const card = alice.locator('.ap-answer[data-status="found"]').first();
    await card.waitFor({ timeout: T });
    const question = await card.getAttribute("data-question");
    const bobCard = bob.locator(`.ap-answer[data-question="${question}"]`);
    await bobCard.waitFor({ timeout: T });
    const corrected = "Réponse corrigée par Alice depuis la vue rapide.";
    await card.getByRole("button", { name: "Modifier" }).click();
    await card.getByLabel("Réponse corrigée").fill(corrected);
    await card.getByRole("button", { name: "Enregistrer" }).click();
    await until(async () => (await alice.locator(`.ap-answer[data-question="${question}"]`).innerText()).includes(corrected), T, "Alice's card shows her text");
    await until(async () => (await bobCard.innerText()).includes(corrected), T, "Bob's card shows Alice's text");
    const answers = await apiCall(alice, "GET", `/api/dossiers/${encodeURIComponent(dossier)}/answers`);
    const list = Array.isArray(answers.json) ? answers.json : answers.json?.answers;
    const apiAnswer = list.find((a) => a.question === question);
    await shot(bob, "11b-reponse-corrigee-bob", false);
    // Alice dismisses an offence on the overview; the card says so and the API agrees.
    const overview = `${base}/dossiers/${encodeURIComponent(dossier)}`;
    await alice.goto(overview);
    const offence = alice.locator(".ap-offence").first();
    await offence.waitFor({ timeout: T });
    const category = await offence.getAttribute("data-category");
    await offence.getByRole("button", { name: "Écarter" }).click();
    await until(async () => (await alice.locator(`.ap-offence[data-category="${category}"]`).innerText()).includes("Écartée"), T, "offence marked as dismissed");
    const offences = await apiCall(alice, "GET", `/api/dossiers/${encodeURIComponent(dossier)}/offences`);
    const olist = Array.isArray(offences.json) ? offences.json : offences.json?.offences;
    await shot(alice, "11c-infraction-ecartee", false);
    return { question, corrected, apiAnswer, category, apiOffence: olist.find((o) => o.category === category) };
  });

  await step("read_only_member", async () => {
    carol = await login(browser, config.users.lecteur);
    await carol.goto(`${base}/dossiers/${encodeURIComponent(dossier)}/synthese`);
    await carol.locator('.ap-synthesis[data-synced="oui"] .ProseMirror').waitFor({ timeout: T });
    const editable = await carol.locator(".ProseMirror").getAttribute("contenteditable");
    const before = await carol.locator(".ProseMirror").innerText();
    await carol.locator(".ProseMirror").click();
    await carol.keyboard.type("Carol ne peut pas écrire");
    await carol.waitForTimeout(500);
    const after = await carol.locator(".ProseMirror").innerText();
    const aliceSees = await alice.goto(`${base}/dossiers/${encodeURIComponent(dossier)}/synthese`).then(async () => {
      await alice.locator('.ap-synthesis[data-synced="oui"] .ProseMirror').waitFor({ timeout: T });
      return alice.locator(".ProseMirror").innerText();
    });
    await carol.goto(`${base}/dossiers/${encodeURIComponent(dossier)}`);
    await carol.locator("#pieces").waitFor({ timeout: T });
    const uploadZone = await carol.locator('[data-testid="depot"]').count();
    const confirmButtons = await carol.getByRole("button", { name: "Confirmer" }).count();
    const role = await carol.locator("#role").innerText();
    // The API refuses a change from a reader.
    const refused = await apiCall(carol, "POST", `/api/dossiers/${encodeURIComponent(dossier)}/offences`, { category: "vol" });
    await shot(carol, "12-lecteur");
    return { editable, unchanged: before === after, aliceSeesCarol: aliceSees.includes("Carol ne peut pas"), uploadZone, confirmButtons, role, refusedStatus: refused.status, refusal: refused.json };
  });

  await step("logout", async () => {
    await alice.locator(".fr-header__tools-links").getByRole("button", { name: "Se déconnecter" }).click();
    await alice.locator('input[name="password"]').waitFor({ timeout: T });
    const status = await alice.evaluate(async (d) => (await fetch(`/api/dossiers/${encodeURIComponent(d)}`)).status, dossier);
    const pdf = await alice.evaluate(async (d) => (await fetch(`/api/dossiers/${encodeURIComponent(d)}/offences`)).status, dossier);
    const ws = await alice.evaluate(
      (d) =>
        new Promise((resolve) => {
          const s = new WebSocket(`${location.origin.replace("http", "ws")}/ws/${encodeURIComponent(d)}`);
          s.onopen = () => resolve("open");
          s.onerror = () => resolve("refused");
        }),
      dossier,
    );
    return { dossierStatus: status, offencesStatus: pdf, websocket: ws };
  });
} finally {
  const errors = {};
  for (const [n, p] of Object.entries({ alice, bob, carol })) if (p) errors[n] = p.errors;
  console.log(JSON.stringify({ dossier, steps, errors }));
  await browser.close();
}
