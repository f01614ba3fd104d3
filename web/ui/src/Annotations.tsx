// The dossier's annotations (comments on a quote, shared live through the room's `annotations`
// map): open ones first, each opening the reader on its boxes; resolve / reopen.
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import type { DossierData } from "./Dossier";
import { citationLabel } from "./labels";
import { tuplesToBoxes, useSynced, useY, type Annotation } from "./workspace";

export function Annotations({ data }: { data: DossierData }) {
  const ws = data.ws;
  const synced = useSynced(ws);
  const list = useY(ws?.annotations, () =>
    ws
      ? Array.from(ws.annotations.entries())
          .filter(([, a]) => a && typeof a === "object")
          .sort(([, a], [, b]) => Number(a.resolved) - Number(b.resolved) || b.time.localeCompare(a.time))
      : [],
  );
  if (!ws || !synced) return <p role="status">Connexion à l'espace de travail…</p>;
  const pieces = data.view?.pieces ?? [];
  const setResolved = (id: string, a: Annotation, resolved: boolean) => ws.annotations.set(id, { ...a, resolved });

  return (
    <>
      <p className="fr-text--sm">Sélectionnez un passage dans le lecteur pour le commenter ; les commentaires apparaissent ici pour tous les membres du dossier.</p>
      {list.length === 0 ? (
        <p>Aucune annotation.</p>
      ) : (
        <ul className="ap-annotations" id="annotations">
          {list.map(([id, a]) => (
            <li key={id} data-annotation={id} data-resolved={a.resolved ? "oui" : "non"} className={a.resolved ? "ap-annotation--resolved" : ""}>
              <p className="fr-mb-1w">
                <strong>{a.author}</strong> <span className="fr-text--xs">{new Date(a.time).toLocaleString("fr-FR")}</span>{" "}
                {a.resolved && (
                  <Badge severity="success" small>
                    Résolue
                  </Badge>
                )}
              </p>
              <p className="fr-mb-1w ap-annotation__comment">{a.comment}</p>
              <blockquote className="fr-text--sm fr-mb-1w">
                « {a.quote} » —{" "}
                <button
                  className="fr-link fr-text--sm"
                  onClick={() =>
                    data.openCitations([{ passage: "", document: a.document, page: a.page, boxes: tuplesToBoxes(a.boxes), quote: a.quote }], 0)
                  }
                >
                  {citationLabel(pieces, a)}
                </button>
              </blockquote>
              {data.canEdit && (
                <Button size="small" priority="secondary" onClick={() => setResolved(id, a, !a.resolved)}>
                  {a.resolved ? "Rouvrir" : "Résoudre"}
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
