// The HTTP API of the server, typed: session (cookie + CSRF token), dossiers, documents, pieces,
// offences, answers, ask. Every error the server sends is `{ "erreur": "…" }` in French; it is
// thrown as an `ApiError` whose message can be shown as is.

export type BBox = { x0: number; y0: number; x1: number; y1: number };

/** Where a claim comes from: a quote on one page with one box per line (PDF points, top-left origin). */
export type Citation = { passage: string; document: string; page: number; boxes: BBox[]; quote: string };

export type Session = { login: string; nom: string; csrf: string };

export type Role = "lecteur" | "redacteur" | string;

export type Progress = {
  documents: number;
  documents_extracted: number;
  documents_pending: number;
  documents_failed: number;
  pages: number;
  pages_ocr: number;
  /** Pages of the text the current offences and answers were computed from. */
  pages_answered?: number;
};

export type DossierSummary = { id: string; nom: string; role: Role; progress?: Progress };

export type DocumentInfo = { id: string; name: string; pages: number; failure?: string | null };

export type Piece = { kind: string; document: string; first_page: number; last_page: number; title: string };

export type DossierView = {
  dossier: string;
  nom?: string;
  role?: Role;
  progress: Progress;
  documents: DocumentInfo[];
  pieces: Piece[];
  passages?: number;
  failures?: unknown;
};

export type OffenceArticle = { id: string; text: string };

/** What a user decided about an offence or an answer (`null` while nobody reviewed it). */
export type Review = {
  kind: "confirmed" | "rejected" | "added" | "accepted" | "edited";
  correction: string;
  author: string;
  time: string;
  reason?: string;
};

export type Offence = {
  category: string;
  label: string;
  articles: OffenceArticle[];
  aggravations: string[];
  confidence: number;
  evidence: Citation[];
  pieces: [string, number][];
  review?: Review | null;
};

export type AnswerVersion = { value: unknown; text: string; citations: Citation[] };

export type Answer = {
  question: string;
  wording: string;
  category: string | null;
  status: "found" | "not_found" | "conflicting";
  value: unknown;
  text: string;
  confidence: number;
  citations: Citation[];
  versions: AnswerVersion[];
  review?: Review | null;
  /** The machine's answer, kept beside an answer a user edited. */
  machine?: Omit<Answer, "review" | "machine">;
};

export type PageText = {
  width: number;
  height: number;
  words: { text: string; x0: number; y0: number; x1: number; y1: number }[];
};

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrf: string | null = null;

/** Remember the CSRF token the server gave with the session. */
export function setCsrf(token: string | null) {
  csrf = token;
}

export function csrfToken(): string | null {
  return csrf;
}

async function errorOf(r: Response): Promise<ApiError> {
  const body = (await r.json().catch(() => ({}))) as { erreur?: string };
  const fallback =
    r.status === 401
      ? "Vous n'êtes pas connecté."
      : r.status === 403
        ? "Accès refusé."
        : r.status === 404
          ? "Introuvable."
          : `Le serveur a répondu ${r.status}.`;
  return new ApiError(r.status, body.erreur ?? fallback);
}

/** A request to the API; non-GET requests carry the CSRF token. */
export async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  let r: Response;
  try {
    r = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "Le serveur est injoignable.");
  }
  if (!r.ok) throw await errorOf(r);
  return r;
}

export async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await request(method, path, body);
  // The server answers unknown paths with the application itself (SPA fallback).
  if ((r.headers.get("content-type") ?? "").includes("text/html")) throw new ApiError(404, "Cette fonction n'est pas encore disponible sur le serveur.");
  const text = await r.text();
  return (text ? JSON.parse(text) : null) as T;
}

const d = (dossier: string) => `/api/dossiers/${encodeURIComponent(dossier)}`;

export const api = {
  session: () => json<Session>("GET", "/api/session"),
  login: (login: string, password: string) => json<Session>("POST", "/api/session", { login, password }),
  logout: () => json<unknown>("DELETE", "/api/session"),
  dossiers: () => json<DossierSummary[]>("GET", "/api/dossiers"),
  createDossier: (nom: string) => json<DossierSummary>("POST", "/api/dossiers", { nom }),
  deleteDossier: (dossier: string) => json<unknown>("DELETE", d(dossier)),
  dossier: (dossier: string) => json<DossierView>("GET", d(dossier)),
  members: (dossier: string) => json<unknown>("GET", `${d(dossier)}/members`),
  addMember: (dossier: string, login: string, role: string) => json<unknown>("POST", `${d(dossier)}/members`, { login, role }),
  offences: (dossier: string) => json<Offence[]>("GET", `${d(dossier)}/offences`),
  offence: (dossier: string, category: string, action: "confirm" | "reject") =>
    json<unknown>("POST", `${d(dossier)}/offences/${encodeURIComponent(category)}/${action}`, {}),
  addOffence: (dossier: string, category: string) => json<unknown>("POST", `${d(dossier)}/offences`, { category }),
  answers: (dossier: string) => json<Answer[]>("GET", `${d(dossier)}/answers`),
  answer: (dossier: string, question: string, action: "accept" | "edit" | "reject", text?: string) =>
    json<unknown>("POST", `${d(dossier)}/answers/${encodeURIComponent(question)}/${action}`, text === undefined ? {} : { text }),
  pageText: (dossier: string, document: string, page: number) =>
    json<PageText>("GET", `${d(dossier)}/documents/${encodeURIComponent(document)}/pages/${page}/text`),
  pdfUrl: (dossier: string, document: string) => `${d(dossier)}/documents/${encodeURIComponent(document)}/consultable.pdf`,
  eventsUrl: (dossier: string) => `${d(dossier)}/events`,
  documentsUrl: (dossier: string) => `${d(dossier)}/documents`,
  docxUrl: (dossier: string) => `${d(dossier)}/synthesis.docx`,
  synthesisPdfUrl: (dossier: string) => `${d(dossier)}/synthesis.pdf`,
  askUrl: (dossier: string) => `${d(dossier)}/ask`,
};

/** Unwrap a list the server may send bare or inside an object (`{ offences: [...] }`). */
export function listOf<T>(value: unknown, key: string): T[] {
  if (Array.isArray(value)) return value as T[];
  if (value && typeof value === "object" && Array.isArray((value as Record<string, unknown>)[key])) {
    return (value as Record<string, T[]>)[key];
  }
  return [];
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
