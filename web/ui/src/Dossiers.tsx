// The dossiers the user is a member of (name, role, progress), and the creation of a new one.
import { useEffect, useState } from "react";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { api, messageOf, type DossierSummary, type Session } from "./api";
import { linkProps, navigate } from "./router";
import { roleLabel } from "./labels";

export function Dossiers({ session }: { session: Session }) {
  const [dossiers, setDossiers] = useState<DossierSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [nom, setNom] = useState("");

  useEffect(() => {
    api
      .dossiers()
      .then(setDossiers)
      .catch((e) => setError(messageOf(e)));
  }, []);

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const created = await api.createDossier(nom.trim());
      navigate(`/dossiers/${encodeURIComponent(created.id)}`);
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <>
      <h1>Mes dossiers</h1>
      <p>Bonjour {session.nom || session.login}.</p>
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {dossiers === null ? (
        <p role="status">Chargement des dossiers…</p>
      ) : dossiers.length === 0 ? (
        <p>Aucun dossier pour l'instant : créez-en un ci-dessous.</p>
      ) : (
        <div className="fr-table fr-table--no-caption">
          <table>
            <caption>Dossiers</caption>
            <thead>
              <tr>
                <th>Dossier</th>
                <th>Rôle</th>
                <th>Documents</th>
                <th>Pages lues</th>
              </tr>
            </thead>
            <tbody>
              {dossiers.map((d) => (
                <tr key={d.id} data-dossier={d.id}>
                  <td>
                    <a {...linkProps(`/dossiers/${encodeURIComponent(d.id)}`)}>{d.nom || d.id}</a>
                  </td>
                  <td>{roleLabel(d.role)}</td>
                  <td>{d.progress ? `${d.progress.documents_extracted} / ${d.progress.documents}` : "—"}</td>
                  <td>{d.progress ? d.progress.pages : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form onSubmit={create} className="fr-col-12 fr-col-md-6 fr-mt-4w" aria-label="Nouveau dossier">
        <h2>Nouveau dossier</h2>
        <Input label="Nom du dossier" hintText="Par exemple : Parquet 2024/48694 — LEFEBVRE c/ MICHEL" nativeInputProps={{ name: "nom", value: nom, onChange: (e) => setNom(e.target.value), required: true }} />
        <Button type="submit" iconId="fr-icon-add-line">
          Créer le dossier
        </Button>
      </form>
    </>
  );
}
