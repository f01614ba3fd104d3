// Shows whether the server and its document engines (PDF, models) are ready, from GET /healthz.
import { useEffect, useState } from "react";
import { Alert } from "@codegouvfr/react-dsfr/Alert";

type Health = { status: string; version: string; pdfium: boolean; onnxruntime: boolean };

export function ServiceStatus() {
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    fetch("/healthz")
      .then(async (r) => {
        if (!r.ok) {
          const body = (await r.json().catch(() => ({}))) as { erreur?: string };
          throw new Error(body.erreur ?? `le serveur répond ${r.status}`);
        }
        setHealth((await r.json()) as Health);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);

  if (error) {
    return <Alert severity="error" title="Service indisponible" description={error} />;
  }
  if (!health) {
    return <p role="status">Vérification du service…</p>;
  }
  const ok = health.status === "ok";
  return (
    <Alert
      severity={ok ? "success" : "warning"}
      title={ok ? "Service opérationnel" : "Service dégradé"}
      description={`Version ${health.version} — lecture PDF : ${health.pdfium ? "prête" : "indisponible"}, modèles : ${health.onnxruntime ? "prêts" : "indisponibles"}.`}
    />
  );
}
