//! Corrections leave the room here: the server records each one as an engine input.
//!
//! Clients append correction objects (the JSON shape of [`ap_engine::Correction`]) to the
//! `corrections` array of the dossier's document. The room observes them; once the update that
//! carries them is in the log, the edge hands each to a [`CorrectionSink`] (in `web/`: an SQLite
//! table, the engine's future input log) and writes the outcome into the server-only
//! `correctionStatus` map, so every client sees "enregistrée" (or "refusée" with the reason).

use ap_engine::Correction;

use crate::error::Result;
use crate::room::ObservedCorrection;

/// Where recorded corrections go. Implementations must be idempotent on `(dossier, id)`: after a
/// crash a correction may be handed over again.
pub trait CorrectionSink: Send + Sync {
    /// Durably record `correction` made in `dossier`.
    fn record(&self, dossier: &str, correction: &Correction) -> Result<()>;

    /// The engine's draft résumé des faits of `dossier`, when there is one, to initialise the
    /// room's synthesis with (once).
    fn draft_synthesis(&self, _dossier: &str) -> Option<Vec<crate::room::DraftBlock>> {
        None
    }
}

/// Record every observed correction; returns (id, outcome) pairs for
/// [`crate::Room::acknowledge_corrections`]. Entries without an id cannot be acknowledged and are
/// skipped (logged).
pub fn record_all(
    sink: &dyn CorrectionSink,
    dossier: &str,
    observed: &[ObservedCorrection],
) -> Vec<(String, std::result::Result<(), String>)> {
    let mut outcomes = Vec::new();
    for correction in observed {
        let Some(id) = correction.id.clone().filter(|id| !id.trim().is_empty()) else {
            tracing::warn!(dossier, "correction without id ignored");
            continue;
        };
        let outcome = match &correction.parsed {
            Err(reason) => Err(reason.clone()),
            Ok(c) => sink.record(dossier, c).map_err(|e| {
                tracing::error!(dossier, id, error = %e, "correction not recorded");
                e.to_string()
            }),
        };
        outcomes.push((id, outcome));
    }
    outcomes
}
