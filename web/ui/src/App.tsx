// The application shell: DSFR header and footer, the session (login screen until the server
// knows the user), and the screens by path: dossiers list, one dossier with its tabs.
import { useCallback, useEffect, useState } from "react";
import { Header } from "@codegouvfr/react-dsfr/Header";
import { Footer } from "@codegouvfr/react-dsfr/Footer";
import { ServiceStatus } from "./ServiceStatus";
import { ApiError, api, messageOf, setCsrf, type Session } from "./api";
import { navigate, useLocation } from "./router";
import { Login } from "./Login";
import { Dossiers } from "./Dossiers";
import { DossierScreen } from "./Dossier";

const brandTop = (
  <>
    Ministère
    <br />
    de la Justice
  </>
);

export function App() {
  // undefined: not known yet; null: not logged in.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const loc = useLocation();

  useEffect(() => {
    api
      .session()
      .then((s) => {
        setCsrf(s.csrf);
        setSession(s);
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && (e.status === 401 || e.status === 404)) setSession(null);
        else {
          setError(messageOf(e));
          setSession(null);
        }
      });
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // The session is forgotten here anyway.
    }
    setCsrf(null);
    setSession(null);
    navigate("/");
  }, []);

  const onLogin = useCallback((s: Session) => {
    setCsrf(s.csrf);
    setSession(s);
    setError(null);
  }, []);

  const m = loc.path.match(/^\/dossiers\/([^/]+)(?:\/([^/]+))?/);

  let content;
  if (session === undefined) {
    content = <p role="status">Chargement…</p>;
  } else if (session === null) {
    content = (
      <>
        <h1>Mon assistant parquet</h1>
        <p className="fr-text--lead">
          Déposez une procédure pénale, native ou numérisée : l'assistant détecte les infractions, répond aux
          questions que vous vous posez toujours et montre, dans le PDF, la source de chaque réponse.
        </p>
        {error && <p className="fr-error-text">{error}</p>}
        <Login onLogin={onLogin} />
        <div className="fr-mt-4w">
          <ServiceStatus />
        </div>
      </>
    );
  } else if (m) {
    content = <DossierScreen key={m[1]} dossier={decodeURIComponent(m[1])} tab={m[2] ?? "vue"} query={loc.query} session={session} />;
  } else {
    content = <Dossiers session={session} />;
  }

  return (
    <>
      <Header
        brandTop={brandTop}
        serviceTitle="Mon assistant parquet"
        serviceTagline="La procédure lue pour vous, chaque réponse sourcée"
        homeLinkProps={{ href: "/", title: "Accueil — Mon assistant parquet" }}
        quickAccessItems={
          session
            ? [
                { iconId: "fr-icon-account-circle-line", text: session.nom || session.login, linkProps: { href: "/" } },
                { iconId: "fr-icon-logout-box-r-line", text: "Se déconnecter", buttonProps: { onClick: logout } },
              ]
            : []
        }
      />
      <main className="fr-container fr-container--fluid fr-px-2w fr-my-4w" id="contenu">
        {content}
      </main>
      <Footer
        brandTop={brandTop}
        accessibility="non compliant"
        contentDescription="Outil d'aide à la lecture des procédures pénales pour les magistrats du parquet. Les données restent sur le serveur de la juridiction."
        homeLinkProps={{ href: "/", title: "Accueil — Mon assistant parquet" }}
      />
    </>
  );
}
