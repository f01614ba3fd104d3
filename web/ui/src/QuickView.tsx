// The quick view: the questions grouped by offence (common questions first), each answer with
// its status, value, sentence and "voir la source"; conflicting versions side by side;
// accept / edit / reject (corrections) and one-click insertion into the synthesis.
import { useState } from "react";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { api, messageOf, type Answer, type Citation } from "./api";
import type { DossierData } from "./Dossier";
import { citationLabel, reviewLabel, statusLabel, valueText } from "./labels";
import { categoryLabel } from "./taxonomy";
import { insertCited } from "./Synthesis";

export function QuickView({ data }: { data: DossierData }) {
  const { answers, offences } = data;
  if (answers === null) return <p role="status">En attente des réponses…</p>;
  if (answers.length === 0) return <p>Aucune question pour l'instant : déposez des pièces, l'analyse suivra.</p>;
  const groups = new Map<string, Answer[]>();
  for (const a of answers) {
    const key = a.category ?? "";
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const order = ["", ...(offences ?? []).map((o) => o.category), ...groups.keys()].filter((k, i, all) => groups.has(k) && all.indexOf(k) === i);
  const found = answers.filter((a) => a.status !== "not_found").length;
  return (
    <>
      <p className="fr-text--sm">
        {found} réponse(s) trouvée(s) sur {answers.length} question(s).
      </p>
      {order.map((key) => (
        <section key={key} className="fr-mb-4w" data-group={key || "commun"}>
          <h2 className="fr-h5">{key ? offences?.find((o) => o.category === key)?.label ?? categoryLabel(key) : "Questions communes"}</h2>
          {groups.get(key)!.map((a) => (
            <AnswerCard key={a.question} a={a} data={data} />
          ))}
        </section>
      ))}
    </>
  );
}

function Sources({ citations, data }: { citations: Citation[]; data: DossierData }) {
  if (citations.length === 0) return null;
  const pieces = data.view?.pieces ?? [];
  return (
    <span className="ap-sources">
      <Button priority="tertiary" size="small" iconId="fr-icon-eye-line" className="ap-voir-source" onClick={() => data.openCitations(citations, 0)}>
        Voir la source
      </Button>
      <span className="fr-text--xs fr-ml-1w">{[...new Set(citations.map((c) => citationLabel(pieces, c)))].join(" ; ")}</span>
    </span>
  );
}

function AnswerCard({ a, data }: { a: Answer; data: DossierData }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(a.text);
  const [error, setError] = useState<string | null>(null);
  const [inserted, setInserted] = useState(false);
  const severity = a.status === "found" ? "success" : a.status === "conflicting" ? "warning" : "info";

  const act = async (action: "accept" | "edit" | "reject") => {
    setError(null);
    try {
      await api.answer(data.dossier, a.question, action, action === "edit" ? text : undefined);
      setEditing(false);
      data.refresh();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <article className="ap-answer fr-mb-2w" data-question={a.question} data-status={a.status}>
      <header className="ap-answer__head">
        <h3 className="fr-text--md fr-mb-0">{a.wording}</h3>
        <Badge severity={severity} small noIcon>
          {statusLabel(a.status)}
        </Badge>
        {a.review ? (
          <Badge severity="new" small noIcon className="fr-ml-1w">
            {reviewLabel(a.review.kind)}
          </Badge>
        ) : null}
      </header>
      {a.status === "conflicting" && a.versions.length > 1 ? (
        <div className="ap-versions">
          {a.versions.map((v, n) => (
            <div key={n} className="ap-version">
              <p className="fr-text--sm fr-mb-1w">
                <strong>Version {n + 1} :</strong> {valueText(v.value)}
              </p>
              <p className="fr-text--sm fr-mb-1w">{v.text}</p>
              <Sources citations={v.citations} data={data} />
            </div>
          ))}
        </div>
      ) : (
        <>
          {a.status === "found" && a.review?.kind !== "edited" && <p className="fr-text--sm fr-mb-1w ap-answer__value">{valueText(a.value)}</p>}
          <p className="fr-mb-1w ap-answer__text">{a.text}</p>
          {a.review?.kind === "edited" && a.machine && (
            <p className="fr-text--xs fr-mb-1w ap-answer__machine">
              Corrigée par {a.review.author} ; réponse initiale de l'outil : {a.machine.text}
            </p>
          )}
          <Sources citations={a.citations} data={data} />
        </>
      )}
      {error && <p className="fr-error-text">{error}</p>}
      {data.canEdit && (
        <div className="ap-answer__actions">
          {editing ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                act("edit");
              }}
              className="ap-inline-form"
            >
              <textarea className="fr-input" value={text} onChange={(e) => setText(e.target.value)} aria-label="Réponse corrigée" rows={2} />
              <Button size="small" type="submit">
                Enregistrer
              </Button>
              <Button size="small" priority="tertiary" type="button" onClick={() => setEditing(false)}>
                Annuler
              </Button>
            </form>
          ) : (
            <div className="ap-actions">
                <Button size="small" priority="secondary" iconId="fr-icon-check-line" onClick={() => act("accept")}>
                  Accepter
                </Button>
                <Button size="small" priority="secondary" iconId="fr-icon-edit-line" onClick={() => setEditing(true)}>
                  Modifier
                </Button>
                <Button size="small" priority="tertiary" iconId="fr-icon-close-line" onClick={() => act("reject")}>
                  Rejeter
                </Button>
              {data.ws && a.status !== "not_found" && (
                  <Button
                    size="small"
                    priority="tertiary"
                    iconId="fr-icon-file-add-line"
                    disabled={inserted}
                    onClick={() => {
                      insertCited(data.ws!, `${a.wording} ${a.text}`, a.citations.length ? a.citations : a.versions.flatMap((v) => v.citations), data.view?.pieces ?? []);
                      setInserted(true);
                    }}
                  >
                    {inserted ? "Insérée dans la synthèse" : "Insérer dans la synthèse"}
                  </Button>
              )}
            </div>
          )}
        </div>
      )}
    </article>
  );
}
