// Upload by drag and drop (or file picker) of several PDFs or scans: one request per file so
// each has its own progress bar (XHR upload progress); the server's answer per file (document
// id or a French error) is shown, then the reading progress comes through the event stream.
import { useRef, useState } from "react";
import { api, csrfToken } from "./api";

type Item = { key: string; name: string; size: number; sent: number; state: "envoi" | "reçu" | "erreur"; message?: string };

const ACCEPT = ".pdf,.tif,.tiff,.png,.jpg,.jpeg,.zip,application/pdf,image/tiff,image/png,image/jpeg,application/zip";

function sendFile(dossier: string, file: File, onProgress: (sent: number) => void): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", api.documentsUrl(dossier));
    const token = csrfToken();
    if (token) xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // Not JSON: the status says enough.
      }
      const first = Array.isArray(body) ? body[0] : (body as { fichiers?: unknown[]; files?: unknown[] } | null)?.fichiers?.[0] ?? (body as { files?: unknown[] } | null)?.files?.[0] ?? body;
      const erreur = (first as { erreur?: string } | null)?.erreur ?? (body as { erreur?: string } | null)?.erreur;
      if (xhr.status >= 200 && xhr.status < 300 && !erreur) resolve({ ok: true, message: "Reçu, lecture en cours" });
      else resolve({ ok: false, message: erreur ?? `Envoi refusé (${xhr.status}).` });
    };
    xhr.onerror = () => resolve({ ok: false, message: "Le serveur est injoignable." });
    const form = new FormData();
    form.append("files", file, file.name);
    xhr.send(form);
  });
}

export function Upload({ dossier, onUploaded }: { dossier: string; onUploaded: () => void }) {
  const [items, setItems] = useState<Item[]>([]);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const update = (key: string, patch: Partial<Item>) => setItems((list) => list.map((i) => (i.key === key ? { ...i, ...patch } : i)));

  const upload = (files: FileList | File[]) => {
    const list = Array.from(files);
    const added = list.map((f, n) => ({ key: `${Date.now()}-${n}-${f.name}`, name: f.name, size: f.size, sent: 0, state: "envoi" as const }));
    setItems((old) => [...added, ...old]);
    list.forEach((file, n) => {
      const key = added[n].key;
      sendFile(dossier, file, (sent) => update(key, { sent })).then(({ ok, message }) => {
        update(key, { state: ok ? "reçu" : "erreur", message, sent: ok ? file.size : 0 });
        onUploaded();
      });
    });
  };

  return (
    <section className="fr-mb-4w" aria-label="Dépôt de pièces">
      <h2 className="fr-h5">Déposer des pièces</h2>
      <div
        className={`ap-dropzone${over ? " ap-dropzone--over" : ""}`}
        data-testid="depot"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          if (e.dataTransfer.files.length) upload(e.dataTransfer.files);
        }}
        onClick={() => input.current?.click()}
        role="button"
        tabIndex={0}
        onKeyDown={(e) => {
          if (e.key === "Enter" || e.key === " ") input.current?.click();
        }}
      >
        <span className="fr-icon-upload-2-line fr-mr-1w" aria-hidden="true" />
        Glissez ici les PDF ou les scans de la procédure, ou cliquez pour les choisir.
        <span className="fr-hint-text">PDF, TIFF, PNG, JPEG ou ZIP ; plusieurs fichiers à la fois.</span>
        <input
          ref={input}
          type="file"
          multiple
          accept={ACCEPT}
          hidden
          name="fichiers"
          onChange={(e) => {
            if (e.target.files?.length) upload(e.target.files);
            e.target.value = "";
          }}
        />
      </div>
      {items.length > 0 && (
        <ul className="ap-uploads">
          {items.map((i) => (
            <li key={i.key} data-file={i.name} data-state={i.state}>
              <span className="ap-uploads__name">{i.name}</span>
              <progress max={i.size || 1} value={i.sent} aria-label={`Envoi de ${i.name}`} />
              <span className={i.state === "erreur" ? "fr-error-text fr-mt-0" : "fr-hint-text"}>
                {i.state === "envoi" ? `${Math.round((100 * i.sent) / (i.size || 1))} %` : i.message}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
