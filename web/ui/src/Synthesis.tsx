// The shared synthesis: a ProseMirror editor bound to the room's `synthesis` XmlFragment by
// y-prosemirror (the server writes the draft résumé des faits into it once), with live
// cursors and presence (awareness). Answers and passages are inserted with a `citation` mark
// ("PV d'audition de X, p. 12") that the DOCX export turns into footnotes. Readers see it
// read-only (the server refuses their updates anyway).
import { useEffect, useRef } from "react";
import * as Y from "yjs";
import { Schema, type MarkSpec } from "prosemirror-model";
import { schema as basic } from "prosemirror-schema-basic";
import { EditorState } from "prosemirror-state";
import { EditorView } from "prosemirror-view";
import { keymap } from "prosemirror-keymap";
import { baseKeymap, toggleMark } from "prosemirror-commands";
import { ySyncPlugin, yCursorPlugin, yUndoPlugin, undo, redo } from "y-prosemirror";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { api, type Citation, type Piece } from "./api";
import type { DossierData } from "./Dossier";
import { citationLabel } from "./labels";
import { usePresence, useSynced, type Workspace } from "./workspace";

const citationMark: MarkSpec = {
  attrs: { document: { default: "" }, page: { default: 1 }, label: { default: "" }, quote: { default: "" } },
  inclusive: false,
  parseDOM: [
    {
      tag: "span.ap-citation",
      getAttrs: (dom) => {
        const el = dom as HTMLElement;
        return { document: el.dataset.document ?? "", page: Number(el.dataset.page ?? 1), label: el.dataset.label ?? "", quote: el.title };
      },
    },
  ],
  toDOM: (mark) => ["span", { class: "ap-citation", "data-document": mark.attrs.document, "data-page": String(mark.attrs.page), "data-label": mark.attrs.label, title: mark.attrs.quote }, 0],
};

export const synthesisSchema = new Schema({
  nodes: basic.spec.nodes,
  marks: basic.spec.marks.addToEnd("citation", citationMark),
});

/** Append `text` as a paragraph, followed by the citations' labels carrying a `citation` mark. */
export function insertCited(ws: Workspace, text: string, citations: Citation[], pieces: Piece[]) {
  const seen = new Set<string>();
  const cites = citations.filter((c) => {
    const label = citationLabel(pieces, c);
    if (seen.has(label)) return false;
    seen.add(label);
    return true;
  });
  ws.doc.transact(() => {
    const p = new Y.XmlElement("paragraph");
    const t = new Y.XmlText();
    p.insert(0, [t]);
    ws.synthesis.push([p]);
    t.insert(0, text.trim());
    for (const c of cites) {
      const label = citationLabel(pieces, c);
      t.insert(t.length, " ");
      t.insert(t.length, `(${label})`, { citation: { document: c.document, page: c.page, label, quote: c.quote } });
    }
  });
}

export function Synthesis({ data }: { data: DossierData }) {
  const ws = data.ws;
  const synced = useSynced(ws);
  const presence = usePresence(ws);
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const editable = data.canEdit;
  const editableRef = useRef(editable);

  useEffect(() => {
    if (!ws || !host.current) return;
    const state = EditorState.create({
      schema: synthesisSchema,
      plugins: [
        ySyncPlugin(ws.synthesis),
        yCursorPlugin(ws.provider.awareness),
        yUndoPlugin(),
        keymap({ "Mod-z": undo, "Mod-y": redo, "Mod-Shift-z": redo, "Mod-b": toggleMark(synthesisSchema.marks.strong), "Mod-i": toggleMark(synthesisSchema.marks.em) }),
        keymap(baseKeymap),
      ],
    });
    const v = new EditorView(host.current, { state, editable: () => editableRef.current, attributes: { class: "ap-editor", "aria-label": "Synthèse", id: "synthese-editeur" } });
    view.current = v;
    return () => {
      view.current = null;
      // y-prosemirror may still have a render scheduled for this view: destroy after it.
      window.setTimeout(() => v.destroy(), 0);
    };
  }, [ws]);

  // The role may arrive after the editor is created: switch editability in place.
  useEffect(() => {
    editableRef.current = editable;
    view.current?.setProps({});
  }, [editable]);

  return (
    <div>
      <div className="ap-synthesis__bar">
        <p className="fr-text--sm fr-mb-0">
          {!ws || !synced ? "Connexion à l'espace de travail…" : editable ? "Modifications enregistrées en direct et partagées avec les membres du dossier." : "Lecture seule : votre rôle ne permet pas de modifier la synthèse."}
        </p>
        <span className="ap-presence" aria-label="Rédacteurs présents">
          {presence.map((p) => (
            <span key={p.clientId} className="ap-presence__user" style={{ borderColor: p.color }}>
              {p.name}
            </span>
          ))}
        </span>
        <a className="fr-btn fr-btn--secondary fr-btn--sm fr-icon-download-line fr-btn--icon-left" href={api.docxUrl(data.dossier)} download>
          Exporter en DOCX
        </a>
        <a className="fr-btn fr-btn--secondary fr-btn--sm fr-icon-download-line fr-btn--icon-left fr-ml-1w" href={api.synthesisPdfUrl(data.dossier)} download>
          Exporter en PDF
        </a>
      </div>
      {editable && (
        <div className="fr-mb-1w">
          <Button size="small" priority="tertiary" onClick={() => view.current && toggleMark(synthesisSchema.marks.strong)(view.current.state, view.current.dispatch)}>
            Gras
          </Button>
          <Button size="small" priority="tertiary" onClick={() => view.current && toggleMark(synthesisSchema.marks.em)(view.current.state, view.current.dispatch)}>
            Italique
          </Button>
        </div>
      )}
      <div ref={host} className={`ap-synthesis${editable ? "" : " ap-synthesis--readonly"}`} data-synced={synced ? "oui" : "non"} />
    </div>
  );
}
