// The login form: local account (login, password); the server sets the session cookie and
// returns the CSRF token that every later change carries.
import { useState } from "react";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { api, messageOf, type Session } from "./api";

export function Login({ onLogin }: { onLogin: (s: Session) => void }) {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await api.login(login, password));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="fr-col-12 fr-col-md-6" aria-label="Connexion">
      <h2>Connexion</h2>
      <Input label="Identifiant" nativeInputProps={{ name: "login", value: login, autoComplete: "username", onChange: (e) => setLogin(e.target.value), required: true }} />
      <Input
        label="Mot de passe"
        nativeInputProps={{ name: "password", type: "password", value: password, autoComplete: "current-password", onChange: (e) => setPassword(e.target.value), required: true }}
        state={error ? "error" : "default"}
        stateRelatedMessage={error ?? undefined}
      />
      <Button type="submit" disabled={busy}>
        Se connecter
      </Button>
    </form>
  );
}
