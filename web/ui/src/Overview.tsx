// Overview of a dossier: upload, documents with their reading status, the table of pieces
// (a click opens the reader at the piece's first page), the detected offences with their
// articles (the article text on hover) and evidence, confirm / reject / add (corrections).
import { useState } from "react";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { api, messageOf, type Offence } from "./api";
import type { DossierData } from "./Dossier";
import { Upload } from "./Upload";
import { Members } from "./Members";
import { aggravationLabel, categories, categoryLabel } from "./taxonomy";

export function Overview({ data }: { data: DossierData }) {
  const { view } = data;
  return (
    <div className="fr-grid-row fr-grid-row--gutters">
      <div className="fr-col-12 fr-col-lg-6">
        {data.canEdit && <Upload dossier={data.dossier} onUploaded={data.refresh} />}
        <Documents data={data} />
        <h2 className="fr-h5 fr-mt-4w">Pièces</h2>
        {!view ? (
          <p role="status">Chargement…</p>
        ) : view.pieces.length === 0 ? (
          <p>Aucune pièce identifiée pour l'instant.</p>
        ) : (
          <div className="fr-table fr-table--sm fr-table--no-caption" id="pieces">
            <table>
              <caption>Pièces de la procédure</caption>
              <thead>
                <tr>
                  <th>Pièce</th>
                  <th>Document</th>
                  <th>Pages</th>
                </tr>
              </thead>
              <tbody>
                {[...view.pieces]
                  .sort((a, b) => a.document.localeCompare(b.document) || a.first_page - b.first_page)
                  .map((p) => (
                    <tr key={`${p.document}:${p.first_page}`} className="ap-clickable" onClick={() => data.openPage(p.document, p.first_page)}>
                      <td>
                        <a href="#" onClick={(e) => e.preventDefault()} className="fr-link">
                          {p.title}
                        </a>
                      </td>
                      <td>{view.documents.find((d) => d.id === p.document)?.name ?? p.document}</td>
                      <td>{p.first_page === p.last_page ? `p. ${p.first_page}` : `p. ${p.first_page} à ${p.last_page}`}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <div className="fr-col-12 fr-col-lg-6">
        <Offences data={data} />
        <Members data={data} />
      </div>
    </div>
  );
}

function Documents({ data }: { data: DossierData }) {
  const { view } = data;
  if (!view) return null;
  const p = view.progress;
  return (
    <section aria-label="Lecture des documents" id="documents">
      <h2 className="fr-h5">Documents</h2>
      <p className="fr-text--sm" role="status" id="progression">
        {p.documents === 0
          ? "Aucun document déposé."
          : `${p.documents_extracted} document(s) lu(s) sur ${p.documents}${p.documents_pending ? `, ${p.documents_pending} en cours de lecture` : ""}${p.documents_failed ? `, ${p.documents_failed} illisible(s)` : ""} — ${p.pages} page(s) lue(s) dont ${p.pages_ocr} par reconnaissance de caractères${p.pages ? (p.pages_answered === p.pages ? " ; infractions et réponses à jour" : ` ; infractions et réponses calculées sur ${p.pages_answered ?? 0} page(s)`) : ""}.`}
      </p>
      {view.documents.length > 0 && (
        <ul className="ap-documents">
          {view.documents.map((d) => (
            <li key={d.id} data-document={d.id}>
              <span className="fr-icon-file-pdf-line fr-mr-1w" aria-hidden="true" />
              <strong>{d.name}</strong>{" "}
              {d.failure ? (
                <Badge severity="error" small>
                  Illisible
                </Badge>
              ) : d.pages > 0 ? (
                <Badge severity="success" small>
                  {`${d.pages} page(s) lue(s)`}
                </Badge>
              ) : (
                <Badge severity="info" small>
                  Lecture en cours
                </Badge>
              )}
              {d.failure && <p className="fr-error-text fr-mt-0">{d.failure}</p>}
              {d.pages > 0 && (
                <span className="ap-pages">
                  {Array.from({ length: d.pages }, (_, n) => (
                    <button key={n} className={`ap-page-chip${data.pagesRead[d.id]?.includes(n + 1) ? " ap-page-chip--live" : ""}`} title={`Page ${n + 1} lue — l'ouvrir`} onClick={() => data.openPage(d.id, n + 1)}>
                      {n + 1}
                    </button>
                  ))}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Offences({ data }: { data: DossierData }) {
  const { offences } = data;
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState("");

  const act = async (key: string, f: () => Promise<unknown>) => {
    setBusy(key);
    setError(null);
    try {
      await f();
      data.refresh();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section aria-label="Infractions" id="infractions">
      <h2 className="fr-h5">Infractions détectées</h2>
      {error && <p className="fr-error-text">{error}</p>}
      {offences === null ? (
        <p role="status">En attente de l'analyse…</p>
      ) : offences.length === 0 ? (
        <p>Aucune infraction détectée pour l'instant.</p>
      ) : (
        offences.map((o) => <OffenceCard key={o.category} o={o} data={data} busy={busy} act={act} />)
      )}
      {data.canEdit && (
        <form
          className="fr-mt-2w ap-inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (adding) act("ajout", () => api.addOffence(data.dossier, adding));
          }}
        >
          <div className="fr-select-group">
            <label className="fr-label" htmlFor="ajout-infraction">
              Ajouter une infraction
            </label>
            <select className="fr-select" id="ajout-infraction" value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="">Choisir…</option>
              {categories
                .filter((c) => !offences?.some((o) => o.category === c.id))
                .map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.label}
                  </option>
                ))}
            </select>
          </div>
          <Button type="submit" priority="secondary" size="small" disabled={!adding || busy === "ajout"}>
            Ajouter
          </Button>
        </form>
      )}
    </section>
  );
}

function correctedLabel(o: Offence): string | null {
  switch (o.review?.kind) {
    case "confirmed":
      return `Confirmée par ${o.review.author}`;
    case "added":
      return `Ajoutée par ${o.review.author}`;
    case "rejected":
      return `Écartée par ${o.review.author}`;
    default:
      return null;
  }
}

function OffenceCard({ o, data, busy, act }: { o: Offence; data: DossierData; busy: string | null; act: (k: string, f: () => Promise<unknown>) => void }) {
  const corrected = correctedLabel(o);
  return (
    <div className="fr-card fr-card--sm fr-mb-2w ap-offence" data-category={o.category}>
      <div className="fr-card__body">
        <div className="fr-card__content">
          <h3 className="fr-card__title">{o.label || categoryLabel(o.category)}</h3>
          <div className="fr-card__desc">
            <p className="fr-mb-1w">
              {o.articles.map((a) => (
                <span key={a.id} className="ap-article" tabIndex={0} title={a.text} data-article={a.id}>
                  {a.id}
                  <span className="ap-article__text" role="tooltip">
                    {a.text}
                  </span>
                </span>
              ))}
            </p>
            {o.aggravations.length > 0 && (
              <p className="fr-text--sm fr-mb-1w">Circonstances aggravantes : {o.aggravations.map((a) => aggravationLabel(o.category, a)).join(" ; ")}</p>
            )}
            <p className="fr-text--xs fr-mb-1w">
              Confiance : {Math.round(o.confidence * 100)} %{corrected ? ` — ${corrected}` : ""}
            </p>
            {o.evidence.length > 0 && (
              <Button priority="tertiary" size="small" iconId="fr-icon-eye-line" onClick={() => data.openCitations(o.evidence, 0)}>
                {`Voir la source (${o.evidence.length})`}
              </Button>
            )}
          </div>
        </div>
        {data.canEdit && (
          <div className="fr-card__footer">
            <div className="ap-actions">
                <Button size="small" priority="secondary" iconId="fr-icon-check-line" disabled={busy !== null} onClick={() => act(o.category, () => api.offence(data.dossier, o.category, "confirm"))}>
                  Confirmer
                </Button>
                <Button size="small" priority="tertiary" iconId="fr-icon-close-line" disabled={busy !== null} onClick={() => act(o.category, () => api.offence(data.dossier, o.category, "reject"))}>
                  Écarter
                </Button>
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
