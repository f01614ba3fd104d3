// The deep view: a PDF reader (pdf.js) that opens at the cited page with the cited boxes
// highlighted (PDF points, origin top-left, one box per line), next/previous citation across
// pages, a selectable text layer (the consultable PDF carries the OCR text of scanned pages),
// and annotations: select text, comment, everyone in the dossier sees it live.
import { useEffect, useRef, useState } from "react";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { api, messageOf, type BBox, type Citation } from "./api";
import type { DossierData } from "./Dossier";
import { citationLabel } from "./labels";
import { navigate } from "./router";
import { loadPdf, pdfjs } from "./pdf";
import { useY, type Annotation } from "./workspace";
import { insertCited } from "./Synthesis";

const MAX_WIDTH = 900;

type Selection = { boxes: BBox[]; quote: string; x: number; y: number };

export function Reader({
  data,
  document,
  page,
  citations,
  citationIndex,
}: {
  data: DossierData;
  document: string | null;
  page: number;
  citations: Citation[];
  citationIndex: number | null;
}) {
  const container = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const textLayer = useRef<HTMLDivElement>(null);
  const [pageCount, setPageCount] = useState<number | null>(null);
  const [scale, setScale] = useState<number | null>(null);
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rendered, setRendered] = useState<string | null>(null);
  const [selection, setSelection] = useState<Selection | null>(null);
  const [comment, setComment] = useState("");
  const base = `/dossiers/${encodeURIComponent(data.dossier)}/lecteur`;
  const ws = data.ws;

  const annotations = useY(ws?.annotations, () =>
    ws ? Array.from(ws.annotations.entries()).filter(([, a]) => a && a.document === document && a.page === page && !a.resolved) : [],
  );

  // Tell the others where I am reading.
  useEffect(() => {
    if (!ws || !document) return;
    ws.provider.awareness.setLocalStateField("document", document);
    ws.provider.awareness.setLocalStateField("page", page);
  }, [ws, document, page]);

  useEffect(() => {
    if (!document) return;
    let cancelled = false;
    let renderTask: { cancel: () => void } | null = null;
    let text: { cancel: () => void } | null = null;
    setError(null);
    setRendered(null);
    setSelection(null);
    (async () => {
      const pdf = await loadPdf(api.pdfUrl(data.dossier, document));
      if (cancelled) return;
      setPageCount(pdf.numPages);
      const n = Math.min(Math.max(1, page), pdf.numPages);
      const p = await pdf.getPage(n);
      if (cancelled) return;
      const width = Math.min(MAX_WIDTH, container.current?.parentElement?.clientWidth ?? MAX_WIDTH);
      const unit = p.getViewport({ scale: 1 });
      const s = width / unit.width;
      const viewport = p.getViewport({ scale: s });
      const c = canvas.current!;
      const ratio = window.devicePixelRatio || 1;
      c.width = Math.floor(viewport.width * ratio);
      c.height = Math.floor(viewport.height * ratio);
      c.style.width = `${viewport.width}px`;
      c.style.height = `${viewport.height}px`;
      setScale(s);
      setSize({ w: viewport.width, h: viewport.height });
      const task = p.render({ canvas: c, viewport, transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined });
      renderTask = task;
      await task.promise;
      if (cancelled) return;
      const layer = textLayer.current!;
      layer.replaceChildren();
      layer.style.setProperty("--scale-factor", String(s));
      layer.style.setProperty("--total-scale-factor", String(s));
      const tl = new pdfjs.TextLayer({ textContentSource: p.streamTextContent(), container: layer, viewport });
      text = tl;
      await tl.render();
      if (!cancelled) setRendered(`${document}:${n}`);
    })().catch((e) => {
      if (!cancelled && !(e instanceof Error && e.name === "RenderingCancelledException")) setError(messageOf(e));
    });
    return () => {
      cancelled = true;
      renderTask?.cancel();
      text?.cancel();
    };
  }, [data.dossier, document, page]);

  const current = citationIndex !== null ? citations[citationIndex] : undefined;
  const onPage = citations.map((c, i) => ({ c, i })).filter(({ c }) => c.document === document && c.page === page);

  // Bring the cited passage into view once drawn.
  useEffect(() => {
    if (!rendered) return;
    const el = container.current?.querySelector(".ap-highlight--current");
    el?.scrollIntoView({ block: "center" });
  }, [rendered, citationIndex]);

  const goCitation = (i: number) => {
    const c = citations[i];
    if (c) navigate(`${base}?document=${encodeURIComponent(c.document)}&page=${c.page}&citation=${i}`, true);
  };
  const goPage = (n: number) => {
    if (document) navigate(`${base}?document=${encodeURIComponent(document)}&page=${n}`, true);
  };

  // Text selected in the text layer: its line boxes in PDF points become a possible annotation.
  const onMouseUp = () => {
    const sel = window.getSelection();
    if (!sel || sel.isCollapsed || !scale || !container.current || !data.canEdit) return;
    const quote = sel.toString().replace(/\s+/g, " ").trim();
    if (!quote) return;
    const origin = container.current.getBoundingClientRect();
    const lines: BBox[] = [];
    for (let r = 0; r < sel.rangeCount; r++) {
      for (const rect of Array.from(sel.getRangeAt(r).getClientRects())) {
        if (rect.width < 1 || rect.height < 1) continue;
        const b = { x0: (rect.left - origin.left) / scale, y0: (rect.top - origin.top) / scale, x1: (rect.right - origin.left) / scale, y1: (rect.bottom - origin.top) / scale };
        const same = lines.find((l) => Math.abs(l.y0 - b.y0) < 3 && Math.abs(l.y1 - b.y1) < 3);
        if (same) {
          same.x0 = Math.min(same.x0, b.x0);
          same.x1 = Math.max(same.x1, b.x1);
        } else lines.push(b);
      }
    }
    if (lines.length === 0) return;
    const last = lines[lines.length - 1];
    setSelection({ boxes: lines, quote, x: last.x0 * scale, y: last.y1 * scale + 4 });
    setComment("");
  };

  const saveAnnotation = () => {
    if (!ws || !selection || !document || !comment.trim()) return;
    const a: Annotation = {
      document,
      page,
      boxes: selection.boxes.map((b) => [round(b.x0), round(b.y0), round(b.x1), round(b.y1)]),
      quote: selection.quote,
      comment: comment.trim(),
      author: data.session.login,
      time: new Date().toISOString(),
      resolved: false,
    };
    ws.annotations.set(crypto.randomUUID(), a);
    setSelection(null);
    window.getSelection()?.removeAllRanges();
  };

  if (!document) return <p>Aucun document dans ce dossier pour l'instant.</p>;
  const docs = data.view?.documents ?? [];

  return (
    <div className="ap-reader">
      <div className="ap-reader__toolbar">
        <div className="fr-select-group fr-mb-0">
          <label className="fr-label fr-sr-only" htmlFor="reader-document">
            Document
          </label>
          <select className="fr-select" id="reader-document" value={document} onChange={(e) => navigate(`${base}?document=${encodeURIComponent(e.target.value)}&page=1`, true)}>
            {docs.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
            {!docs.some((d) => d.id === document) && <option value={document}>{document}</option>}
          </select>
        </div>
        <Button size="small" priority="tertiary" iconId="fr-icon-arrow-left-s-line" disabled={page <= 1} onClick={() => goPage(page - 1)} title="Page précédente">
          Page précédente
        </Button>
        <span className="fr-text--sm fr-mb-0" id="numero-page">
          Page {page}
          {pageCount ? ` / ${pageCount}` : ""}
        </span>
        <Button size="small" priority="tertiary" iconId="fr-icon-arrow-right-s-line" iconPosition="right" disabled={pageCount !== null && page >= pageCount} onClick={() => goPage(page + 1)} title="Page suivante">
          Page suivante
        </Button>
        {current && citations.length > 1 && (
          <span className="ap-reader__citations">
            <Button size="small" priority="secondary" disabled={citationIndex === 0} onClick={() => goCitation(citationIndex! - 1)}>
              Citation précédente
            </Button>
            <span className="fr-text--sm fr-mb-0" id="numero-citation">
              Citation {citationIndex! + 1} / {citations.length}
            </span>
            <Button size="small" priority="secondary" disabled={citationIndex === citations.length - 1} onClick={() => goCitation(citationIndex! + 1)}>
              Citation suivante
            </Button>
          </span>
        )}
        <a className="fr-link fr-text--sm" href={api.pdfUrl(data.dossier, document)} download>
          Télécharger le PDF consultable
        </a>
      </div>
      {current && (
        <blockquote className="ap-reader__quote fr-text--sm">
          « {current.quote} » — {citationLabel(data.view?.pieces ?? [], current)}
          {data.canEdit && ws && (
            <Button size="small" priority="tertiary" className="fr-ml-1w" iconId="fr-icon-file-add-line" onClick={() => insertCited(ws, `« ${current.quote} »`, [current], data.view?.pieces ?? [])}>
              Insérer dans la synthèse
            </Button>
          )}
        </blockquote>
      )}
      {error && <Alert severity="error" small description={error} />}
      <div
        className="ap-page"
        ref={container}
        data-document={document}
        data-page={page}
        data-scale={scale ?? ""}
        data-rendered={rendered === `${document}:${page}` ? "oui" : "non"}
        style={size ? { width: size.w, height: size.h } : undefined}
        onMouseUp={onMouseUp}
      >
        <canvas ref={canvas} />
        {scale &&
          onPage.flatMap(({ c, i }) =>
            c.boxes.map((b, k) => (
              <div
                key={`${i}-${k}`}
                className={`ap-highlight${i === citationIndex ? " ap-highlight--current" : ""}`}
                data-box={`${b.x0},${b.y0},${b.x1},${b.y1}`}
                style={{ left: b.x0 * scale, top: b.y0 * scale, width: (b.x1 - b.x0) * scale, height: (b.y1 - b.y0) * scale }}
                title={c.quote}
              />
            )),
          )}
        {scale &&
          annotations.flatMap(([id, a]) =>
            a.boxes.map(([x0, y0, x1, y1], k) => (
              <div key={`${id}-${k}`} className="ap-annotation-box" data-annotation={id} style={{ left: x0 * scale, top: y0 * scale, width: (x1 - x0) * scale, height: (y1 - y0) * scale }} title={`${a.author} : ${a.comment}`} />
            )),
          )}
        <div ref={textLayer} className="textLayer" />
        {selection && (
          <div className="ap-comment-popover" style={{ left: selection.x, top: selection.y }} onMouseUp={(e) => e.stopPropagation()}>
            <label className="fr-label" htmlFor="commentaire">
              Commenter « {selection.quote.length > 60 ? selection.quote.slice(0, 60) + "…" : selection.quote} »
            </label>
            <textarea className="fr-input" id="commentaire" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} autoFocus />
            <Button size="small" onClick={saveAnnotation} disabled={!comment.trim()}>
              Enregistrer le commentaire
            </Button>
            <Button size="small" priority="tertiary" onClick={() => setSelection(null)}>
              Annuler
            </Button>
          </div>
        )}
      </div>
    </div>
  );
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
