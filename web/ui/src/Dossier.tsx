// One dossier: its data from the API kept current by the server-sent events stream, its
// collaborative room (annotations, synthesis, presence), and the tabs: overview (upload,
// pieces, offences), quick view (answers), reader (deep view), ask, annotations, synthesis.
import { useCallback, useEffect, useMemo, useState } from "react";
import { Tabs } from "@codegouvfr/react-dsfr/Tabs";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { ApiError, api, listOf, messageOf, type Answer, type Citation, type DossierView, type Offence, type Progress, type Session } from "./api";
import { linkProps, navigate } from "./router";
import { roleLabel } from "./labels";
import { useWorkspace, usePresence, type Workspace } from "./workspace";
import { Overview } from "./Overview";
import { QuickView } from "./QuickView";
import { Reader } from "./Reader";
import { Ask } from "./Ask";
import { Annotations } from "./Annotations";
import { Synthesis } from "./Synthesis";

export type DossierData = {
  dossier: string;
  session: Session;
  view: DossierView | null;
  offences: Offence[] | null;
  answers: Answer[] | null;
  /** Whether the user may change things (rédacteur). */
  canEdit: boolean;
  /** Pages announced read by the event stream, by document (live per-page status). */
  pagesRead: Record<string, number[]>;
  ws: Workspace | null;
  refresh: () => void;
  /** Open the reader on `citations[index]`, with next/previous through the list. */
  openCitations: (citations: Citation[], index?: number) => void;
  openPage: (document: string, page: number) => void;
};

const TABS = [
  { tabId: "vue", label: "Vue d'ensemble" },
  { tabId: "reponses", label: "Vue rapide" },
  { tabId: "lecteur", label: "Lecteur" },
  { tabId: "question", label: "Poser une question" },
  { tabId: "annotations", label: "Annotations" },
  { tabId: "synthese", label: "Synthèse" },
];

export function DossierScreen({ dossier, tab, query, session }: { dossier: string; tab: string; query: URLSearchParams; session: Session }) {
  const [view, setView] = useState<DossierView | null>(null);
  const [offences, setOffences] = useState<Offence[] | null>(null);
  const [answers, setAnswers] = useState<Answer[] | null>(null);
  const [role, setRole] = useState<string | null>(null);
  const [nom, setNom] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [citations, setCitations] = useState<Citation[]>([]);
  const [pagesRead, setPagesRead] = useState<Record<string, number[]>>({});
  const [live, setLive] = useState<"connecté" | "hors ligne" | "…">("…");
  const base = `/dossiers/${encodeURIComponent(dossier)}`;

  const loadView = useCallback(() => {
    api
      .dossier(dossier)
      .then((v) => {
        setView(v);
        setError(null);
        if (v.role) setRole(v.role);
        if (v.nom) setNom(v.nom);
      })
      .catch((e) => setError(e instanceof ApiError ? e : new ApiError(0, messageOf(e))));
  }, [dossier]);
  const loadOffences = useCallback(() => {
    api.offences(dossier).then((o) => setOffences(listOf<Offence>(o, "offences")), () => {});
  }, [dossier]);
  const loadAnswers = useCallback(() => {
    api.answers(dossier).then((a) => setAnswers(listOf<Answer>(a, "answers")), () => {});
  }, [dossier]);
  const refresh = useCallback(() => {
    loadView();
    loadOffences();
    loadAnswers();
  }, [loadView, loadOffences, loadAnswers]);

  useEffect(() => {
    refresh();
    api.dossiers().then(
      (list) => {
        const mine = list.find((d) => d.id === dossier);
        if (mine) {
          setRole(mine.role);
          setNom(mine.nom);
        }
      },
      () => {},
    );
  }, [dossier, refresh]);

  // Live updates: the server pushes progress, pages read and results as they are computed.
  // Reloads are coalesced (at most one per kind every 400 ms).
  useEffect(() => {
    const source = new EventSource(api.eventsUrl(dossier));
    const timers = new Map<string, number>();
    const soon = (key: string, f: () => void) => {
      if (timers.has(key)) return;
      timers.set(key, window.setTimeout(() => {
        timers.delete(key);
        f();
      }, 400));
    };
    const parse = (e: Event) => {
      try {
        return JSON.parse((e as MessageEvent).data) as unknown;
      } catch {
        return undefined;
      }
    };
    source.onopen = () => setLive("connecté");
    source.onerror = () => setLive(source.readyState === EventSource.CLOSED ? "hors ligne" : "…");
    source.addEventListener("progress", (e) => {
      const p = parse(e) as Progress | undefined;
      if (p && typeof p.documents === "number") setView((v) => (v ? { ...v, progress: p } : v));
      soon("view", loadView);
    });
    source.addEventListener("page_text", (e) => {
      const p = parse(e) as { document?: string; page?: number; diff?: number } | undefined;
      if (p?.document && p.page && (p.diff ?? 1) > 0) setPagesRead((m) => ({ ...m, [p.document!]: [...new Set([...(m[p.document!] ?? []), p.page!])] }));
      soon("view", loadView);
    });
    source.addEventListener("document_failed", () => soon("view", loadView));
    // New passages or corrections may change offences and answers.
    for (const name of ["passages", "correction"]) {
      source.addEventListener(name, () => {
        soon("view", loadView);
        soon("offences", loadOffences);
        soon("answers", loadAnswers);
      });
    }
    source.addEventListener("offences", (e) => {
      const data = parse(e);
      if (Array.isArray(data)) setOffences(data as Offence[]);
      else soon("offences", loadOffences);
    });
    source.addEventListener("answers", (e) => {
      const data = parse(e);
      if (Array.isArray(data)) setAnswers(data as Answer[]);
      else soon("answers", loadAnswers);
    });
    return () => {
      source.close();
      timers.forEach((t) => window.clearTimeout(t));
    };
  }, [dossier, loadView, loadOffences, loadAnswers]);

  // Without the event stream, poll while documents are being read.
  useEffect(() => {
    if (live !== "hors ligne") return;
    const t = window.setInterval(refresh, 3000);
    return () => window.clearInterval(t);
  }, [live, refresh]);

  const ws = useWorkspace(dossier, session);
  const presence = usePresence(ws);
  const canEdit = role === "redacteur";

  const openCitations = useCallback(
    (list: Citation[], index = 0) => {
      setCitations(list);
      const c = list[index];
      if (c) navigate(`${base}/lecteur?document=${encodeURIComponent(c.document)}&page=${c.page}&citation=${index}`);
    },
    [base],
  );
  const openPage = useCallback(
    (document: string, page: number) => {
      setCitations([]);
      navigate(`${base}/lecteur?document=${encodeURIComponent(document)}&page=${page}`);
    },
    [base],
  );

  const data: DossierData = useMemo(
    () => ({ dossier, session, view, offences, answers, canEdit, pagesRead, ws, refresh, openCitations, openPage }),
    [dossier, session, view, offences, answers, canEdit, pagesRead, ws, refresh, openCitations, openPage],
  );

  if (error && (error.status === 401 || error.status === 403 || error.status === 404) && !view) {
    return (
      <>
        <h1>Dossier {dossier}</h1>
        <Alert severity="error" title="Accès impossible" description={error.message} />
        <p className="fr-mt-2w">
          <a className="fr-link" {...linkProps("/")}>
            Retour à mes dossiers
          </a>
        </p>
      </>
    );
  }

  let content;
  switch (tab) {
    case "reponses":
      content = <QuickView data={data} />;
      break;
    case "lecteur":
      content = (
        <Reader
          data={data}
          document={query.get("document") ?? view?.documents[0]?.id ?? null}
          page={Number(query.get("page") ?? 1)}
          citations={citations}
          citationIndex={query.has("citation") ? Number(query.get("citation")) : null}
        />
      );
      break;
    case "question":
      content = <Ask data={data} />;
      break;
    case "annotations":
      content = <Annotations data={data} />;
      break;
    case "synthese":
      content = <Synthesis data={data} />;
      break;
    default:
      content = <Overview data={data} />;
  }

  return (
    <>
      <nav className="fr-breadcrumb fr-mt-0 fr-mb-2w" aria-label="vous êtes ici :">
        <ol className="fr-breadcrumb__list">
          <li>
            <a className="fr-breadcrumb__link" {...linkProps("/")}>
              Mes dossiers
            </a>
          </li>
          <li>
            <a className="fr-breadcrumb__link" aria-current="page">
              {nom ?? dossier}
            </a>
          </li>
        </ol>
      </nav>
      <div className="ap-dossier-head">
        <h1 className="fr-h3 fr-mb-1w">{nom ?? dossier}</h1>
        <p className="fr-mb-1w">
          {role && (
            <Badge severity={canEdit ? "info" : "new"} small className="fr-mr-1w" id="role">
              {roleLabel(role)}
            </Badge>
          )}
          <Badge severity={live === "connecté" ? "success" : "warning"} small noIcon className="fr-mr-1w">
            {live === "connecté" ? "Mise à jour en direct" : "Mise à jour périodique"}
          </Badge>
          <span className="ap-presence" aria-label="Présents">
            {presence.map((p) => (
              <span key={p.clientId} className="ap-presence__user" style={{ borderColor: p.color }} title={p.page ? `${p.name} — ${p.document} p. ${p.page}` : p.name}>
                {p.name}
              </span>
            ))}
          </span>
        </p>
      </div>
      {error && view && <Alert severity="warning" small description={error.message} className="fr-mb-2w" />}
      <Tabs selectedTabId={tab} tabs={TABS} onTabChange={(id) => navigate(`${base}/${id}`)}>
        {content}
      </Tabs>
    </>
  );
}
