// Who may open the dossier (members and their roles); a rédacteur adds a colleague by login.
import { useEffect, useState } from "react";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { api, listOf, messageOf } from "./api";
import type { DossierData } from "./Dossier";
import { roleLabel } from "./labels";

type Member = { login: string; nom?: string; role: string };

export function Members({ data }: { data: DossierData }) {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [login, setLogin] = useState("");
  const [role, setRole] = useState("lecteur");
  const [error, setError] = useState<string | null>(null);

  const load = () =>
    api.members(data.dossier).then(
      (m) => setMembers(listOf<Member>(m, "members").length ? listOf<Member>(m, "members") : listOf<Member>(m, "membres")),
      () => setMembers([]),
    );
  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data.dossier]);

  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api.addMember(data.dossier, login.trim(), role);
      setLogin("");
      load();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <section className="fr-mt-4w" aria-label="Membres" id="membres">
      <h2 className="fr-h5">Membres du dossier</h2>
      {members && members.length > 0 && (
        <ul>
          {members.map((m) => (
            <li key={m.login}>
              {m.nom ? `${m.nom} (${m.login})` : m.login} — {roleLabel(m.role)}
            </li>
          ))}
        </ul>
      )}
      {data.canEdit && (
        <form onSubmit={add} className="ap-inline-form">
          <div className="fr-input-group fr-mb-0">
            <label className="fr-label" htmlFor="membre-login">
              Identifiant du collègue
            </label>
            <input className="fr-input" id="membre-login" value={login} onChange={(e) => setLogin(e.target.value)} required />
          </div>
          <div className="fr-select-group fr-mb-0">
            <label className="fr-label" htmlFor="membre-role">
              Rôle
            </label>
            <select className="fr-select" id="membre-role" value={role} onChange={(e) => setRole(e.target.value)}>
              <option value="lecteur">Lecteur (consultation)</option>
              <option value="redacteur">Rédacteur (modification)</option>
            </select>
          </div>
          <Button type="submit" priority="secondary" size="small">
            Ajouter
          </Button>
        </form>
      )}
      {error && <p className="fr-error-text">{error}</p>}
    </section>
  );
}
