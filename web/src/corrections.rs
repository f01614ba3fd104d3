//! Where the workspace's corrections go: into the engine, as inputs.
//!
//! The room hands every correction a client appends to the `corrections` array to this
//! [`CorrectionSink`]; it gives it to [`ap_engine::Engine::correct`], which logs it durably
//! (fsynced) before it returns and then recomputes what depends on it (an OCR fix changes the
//! passage's text). Only then does the room tell the clients it is "enregistrée". Recording the
//! same correction again (after a restart) changes nothing; a correction with the id of an earlier
//! one replaces it.

use std::sync::Arc;

use ap_engine::{Correction, Engine};
use ap_workspace::CorrectionSink;

/// The engine as the workspace's correction sink.
#[derive(Debug, Clone)]
pub struct EngineCorrections {
    engine: Arc<Engine>,
}

impl EngineCorrections {
    /// Feed corrections to `engine`.
    pub fn new(engine: Arc<Engine>) -> Self {
        Self { engine }
    }
}

impl CorrectionSink for EngineCorrections {
    fn record(&self, dossier: &str, correction: &Correction) -> ap_workspace::Result<()> {
        self.engine
            .correct(dossier, correction.clone())
            .map_err(|e| ap_workspace::Error::CorrectionSink(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ap_engine::{Change, EngineOptions};

    #[test]
    fn corrections_become_engine_inputs_once_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let c = Correction {
            id: "c1".into(),
            author: "substitut.a".into(),
            time: "2024-03-12T14:30:00Z".into(),
            change: Change::OffenceRejected { offence: "CP 222-13".into(), reason: Some("ITT de 10 jours".into()) },
        };
        {
            let engine = Arc::new(Engine::open(dir.path(), EngineOptions::default()).unwrap());
            let sink = EngineCorrections::new(engine.clone());
            sink.record("d", &c).unwrap();
            sink.record("d", &c).unwrap();
            engine.sync().unwrap();
            assert_eq!(engine.dossier("d").corrections.get("c1"), Some(&c));
            assert!(engine.dossier("autre").corrections.is_empty());
        }
        let engine = Engine::open(dir.path(), EngineOptions::default()).unwrap();
        engine.sync().unwrap();
        assert_eq!(engine.dossier("d").corrections.len(), 1);
        assert_eq!(engine.dossier("d").corrections.get("c1"), Some(&c));
    }
}
