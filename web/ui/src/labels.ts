// French labels of identifiers the server sends (roles, answer statuses, piece kinds) and the
// citation label used in the synthesis ("PV d'audition de X, p. 12").
import type { Citation, Piece } from "./api";

export function roleLabel(role: string): string {
  return role === "redacteur" ? "Rédacteur" : role === "lecteur" ? "Lecteur" : role;
}

export function statusLabel(status: string): string {
  return status === "found" ? "Trouvé" : status === "conflicting" ? "Versions divergentes" : status === "not_found" ? "Non trouvé" : status;
}

/** The piece a page belongs to. */
export function pieceAt(pieces: Piece[], document: string, page: number): Piece | undefined {
  return pieces.find((p) => p.document === document && p.first_page <= page && page <= p.last_page);
}

function capitalizeTitle(title: string): string {
  const t = title.toLowerCase().replace(/^procès-verbal\b/, "PV");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** "PV d'audition de …, p. 12" for a citation, from the piece it falls in. */
export function citationLabel(pieces: Piece[], c: { document: string; page: number }): string {
  const piece = pieceAt(pieces, c.document, c.page);
  const name = piece ? capitalizeTitle(piece.title) : c.document;
  return `${name}, p. ${c.page}`;
}

export function citationKey(c: Citation): string {
  return `${c.document}:${c.page}:${c.boxes.map((b) => b.y0.toFixed(1)).join(",")}`;
}

/** A value from the gold value shape, as French text. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") {
    // Dates and times of the gold value shape (ISO 8601) the French way.
    const m = value.match(/^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/);
    if (m) return `${m[3]}/${m[2]}/${m[1]}${m[4] ? ` à ${m[4]} h ${m[5]}` : ""}`;
    return value;
  }
  if (typeof value === "number") return String(value).replace(".", ",");
  if (typeof value === "boolean") return value ? "Oui" : "Non";
  if (Array.isArray(value)) return value.map(valueText).join(", ");
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k} : ${valueText(v)}`)
      .join(" ; ");
  }
  return String(value);
}

/** The badge of an answer a user reviewed. */
export function reviewLabel(kind: string): string {
  switch (kind) {
    case "accepted":
      return "Acceptée";
    case "edited":
      return "Corrigée";
    case "rejected":
      return "Rejetée";
    default:
      return "Revue";
  }
}
