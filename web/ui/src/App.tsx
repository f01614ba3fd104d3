// The application shell: DSFR header and footer around the page content. Screens (dossiers,
// quick view, deep view, ask, co-edition) are added inside <main> as their back ends land.
import { Header } from "@codegouvfr/react-dsfr/Header";
import { Footer } from "@codegouvfr/react-dsfr/Footer";
import { ServiceStatus } from "./ServiceStatus";

const brandTop = (
  <>
    Ministère
    <br />
    de la Justice
  </>
);

export function App() {
  return (
    <>
      <Header
        brandTop={brandTop}
        serviceTitle="Mon assistant parquet"
        serviceTagline="La procédure lue pour vous, chaque réponse sourcée"
        homeLinkProps={{ href: "/", title: "Accueil — Mon assistant parquet" }}
      />
      <main className="fr-container fr-my-6w" id="contenu">
        <h1>Mon assistant parquet</h1>
        <p className="fr-text--lead">
          Déposez une procédure pénale, native ou numérisée : l'assistant détecte les infractions,
          répond aux questions que vous vous posez toujours et montre, dans le PDF, la source de
          chaque réponse.
        </p>
        <ServiceStatus />
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
