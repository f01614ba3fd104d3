// Ask the procédure: a free question; the server streams NDJSON (the best passages first,
// then the extractive answer). The answer's sentences are shown with their citations, each
// opening the reader on the cited boxes; the passages found are listed with the question's
// words highlighted.
import { useState } from "react";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { api, csrfToken, messageOf, type Citation } from "./api";
import type { DossierData } from "./Dossier";
import { citationLabel } from "./labels";
import { insertCited } from "./Synthesis";

type Hit = { passage: string; document: string; page: number; text: string; score: number; highlights: { start: number; end: number }[] | [number, number][] };
type AskAnswer = { question: string; status: "found" | "not_found"; text: string; sentences: { text: string; passage: string; citations: Citation[] }[]; hits?: Hit[] };

function classify(line: unknown): { hits?: Hit[]; answer?: AskAnswer } {
  if (!line || typeof line !== "object") return {};
  const o = line as Record<string, unknown>;
  if (o.answer && typeof o.answer === "object") return { answer: o.answer as AskAnswer };
  if (typeof o.status === "string" && typeof o.text === "string") return { answer: o as unknown as AskAnswer };
  if (Array.isArray(o.hits)) return { hits: o.hits as Hit[] };
  if (Array.isArray(line)) return { hits: line as Hit[] };
  return {};
}

/** `text` with the byte ranges (UTF-8) of `highlights` marked. */
function Highlighted({ text, highlights }: { text: string; highlights: Hit["highlights"] }) {
  const bytes = new TextEncoder().encode(text);
  const dec = new TextDecoder();
  const ranges = (highlights ?? [])
    .map((h) => (Array.isArray(h) ? { start: h[0], end: h[1] } : h))
    .filter((r) => r.start < r.end && r.end <= bytes.length)
    .sort((a, b) => a.start - b.start);
  const out: React.ReactNode[] = [];
  let at = 0;
  ranges.forEach((r, i) => {
    if (r.start < at) return;
    out.push(dec.decode(bytes.slice(at, r.start)));
    out.push(<mark key={i}>{dec.decode(bytes.slice(r.start, r.end))}</mark>);
    at = r.end;
  });
  out.push(dec.decode(bytes.slice(at)));
  return <>{out}</>;
}

export function Ask({ data }: { data: DossierData }) {
  const [question, setQuestion] = useState("");
  const [hits, setHits] = useState<Hit[]>([]);
  const [answer, setAnswer] = useState<AskAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const pieces = data.view?.pieces ?? [];

  const ask = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!question.trim()) return;
    setBusy(true);
    setError(null);
    setHits([]);
    setAnswer(null);
    try {
      const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/x-ndjson" };
      const token = csrfToken();
      if (token) headers["X-CSRF-Token"] = token;
      const r = await fetch(api.askUrl(data.dossier), { method: "POST", headers, credentials: "same-origin", body: JSON.stringify({ question }) });
      if (!r.ok || !r.body) {
        const body = (await r.json().catch(() => ({}))) as { erreur?: string };
        throw new Error(body.erreur ?? `Le serveur a répondu ${r.status}.`);
      }
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      const handle = (line: string) => {
        if (!line.trim()) return;
        const got = classify(JSON.parse(line));
        if (got.hits) setHits(got.hits);
        if (got.answer) {
          setAnswer(got.answer);
          if (got.answer.hits) setHits(got.answer.hits);
        }
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          handle(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
        }
      }
      handle(buffer);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const allCitations = answer?.sentences.flatMap((s) => s.citations) ?? [];

  return (
    <div className="fr-grid-row fr-grid-row--gutters">
      <div className="fr-col-12 fr-col-lg-8">
        <form onSubmit={ask} className="ap-ask" aria-label="Poser une question">
          <div className="fr-input-group">
            <label className="fr-label" htmlFor="question">
              Votre question sur la procédure
              <span className="fr-hint-text">Par exemple : « Quel couteau a été saisi ? » ou « Le mis en cause reconnaît-il les faits ? »</span>
            </label>
            <input className="fr-input" id="question" name="question" value={question} onChange={(e) => setQuestion(e.target.value)} />
          </div>
          <Button type="submit" iconId="fr-icon-search-line" disabled={busy || !question.trim()}>
            {busy ? "Recherche…" : "Demander"}
          </Button>
        </form>
        {error && <Alert severity="error" small description={error} className="fr-mt-2w ap-ask-error" />}
        {answer && (
          <section className="fr-mt-3w ap-ask__answer" id="reponse" data-status={answer.status} aria-live="polite">
            <h2 className="fr-h5">Réponse</h2>
            {answer.status === "not_found" || answer.sentences.length === 0 ? (
              <p>{answer.text}</p>
            ) : (
              answer.sentences.map((s, i) => (
                <p key={i} className="ap-ask__sentence">
                  <mark className="ap-cited">{s.text}</mark>{" "}
                  {s.citations.map((c) => {
                    const index = allCitations.indexOf(c);
                    return (
                      <button key={index} className="fr-tag fr-tag--sm fr-ml-1w ap-citation-link" data-citation={JSON.stringify(c)} onClick={() => data.openCitations(allCitations, index)}>
                        {citationLabel(pieces, c)}
                      </button>
                    );
                  })}
                  {data.canEdit && data.ws && (
                    <Button size="small" priority="tertiary" className="fr-ml-1w" iconId="fr-icon-file-add-line" onClick={() => insertCited(data.ws!, s.text, s.citations, pieces)}>
                      Insérer dans la synthèse
                    </Button>
                  )}
                </p>
              ))
            )}
          </section>
        )}
      </div>
      <div className="fr-col-12 fr-col-lg-4">
        {hits.length > 0 && (
          <section aria-label="Passages trouvés" id="passages">
            <h2 className="fr-h6">Passages les plus proches</h2>
            <ol className="ap-hits">
              {hits.map((h) => (
                <li key={h.passage} className="fr-text--sm">
                  <Highlighted text={h.text} highlights={h.highlights} />{" "}
                  <button className="fr-link fr-text--xs" onClick={() => data.openPage(h.document, h.page)}>
                    {citationLabel(pieces, h)}
                  </button>
                </li>
              ))}
            </ol>
          </section>
        )}
      </div>
    </div>
  );
}
