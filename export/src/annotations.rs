//! Annotations of a dossier, read from its persisted workspace document.
//!
//! Annotations live only in the dossier's Yjs document (`annotations` map, see
//! `workspace/README.md`), which the workspace log keeps on disk: an export reads the snapshot
//! and the updates logged after it, so it sees every annotation a client was shown. Clients write
//! these objects; a field missing or of the wrong type becomes a null, never a failed export.

use std::path::Path;

use ap_operators::document::BBox;
use ap_workspace::room::shared::ANNOTATIONS;
use ap_workspace::{Room, UpdateLog};
use serde_json::Value;
use yrs::types::ToJson;
use yrs::{Map, Transact};

use crate::Result;

/// One annotation of the workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    pub id: String,
    pub document: Option<String>,
    pub page: Option<u32>,
    pub boxes: Vec<BBox>,
    pub quote: Option<String>,
    pub comment: Option<String>,
    pub author: Option<String>,
    pub time: Option<String>,
    pub resolved: bool,
}

impl Annotation {
    /// Read the object a client stored under `id`.
    pub fn from_json(id: &str, value: &Value) -> Self {
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        let boxes = value
            .get("boxes")
            .and_then(Value::as_array)
            .map(|boxes| {
                boxes
                    .iter()
                    .filter_map(|b| {
                        let n: Vec<f32> = b.as_array()?.iter().filter_map(Value::as_f64).map(|x| x as f32).collect();
                        (n.len() == 4).then(|| BBox::new(n[0], n[1], n[2], n[3]))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            id: id.to_string(),
            document: text("document"),
            page: value.get("page").and_then(Value::as_u64).and_then(|p| u32::try_from(p).ok()),
            boxes,
            quote: text("quote"),
            comment: text("comment"),
            author: text("author"),
            time: text("time"),
            resolved: value.get("resolved").and_then(Value::as_bool).unwrap_or(false),
        }
    }
}

/// The annotations of `dossier` in the workspace log at `log_path` (`data_dir/workspace.sqlite3`),
/// sorted by id. No log file, or no room for the dossier: none.
pub fn read(log_path: &Path, dossier: &str) -> Result<Vec<Annotation>> {
    if !log_path.exists() {
        return Ok(Vec::new());
    }
    let log = UpdateLog::open(log_path)?;
    let stored = log.load(dossier)?;
    let room = Room::open(dossier, &stored)?;
    Ok(from_doc(room.doc()))
}

/// The annotations of a loaded document, sorted by id.
pub fn from_doc(doc: &yrs::Doc) -> Vec<Annotation> {
    let map = doc.get_or_insert_map(ANNOTATIONS);
    let txn = doc.transact();
    let mut out: Vec<Annotation> = map
        .iter(&txn)
        .map(|(id, value)| {
            let mut json = String::new();
            value.to_json(&txn).to_json(&mut json);
            let value = serde_json::from_str(&json).unwrap_or(Value::Null);
            Annotation::from_json(id, &value)
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Any, Doc};

    #[test]
    fn reads_what_clients_store_and_tolerates_bad_fields() {
        let doc = Doc::new();
        let map = doc.get_or_insert_map(ANNOTATIONS);
        {
            let mut txn = doc.transact_mut();
            let good = serde_json::json!({
                "document": "doc1", "page": 3, "boxes": [[1.0, 2.0, 3.0, 4.0], [1, 2]],
                "quote": "coups de poing à l'épaule", "comment": "À vérifier", "author": "substitut.a",
                "time": "2024-03-12T14:30:00Z", "resolved": true
            });
            let any: Any = serde_json::from_value(good).unwrap();
            map.insert(&mut txn, "a1", any);
            let bad: Any = serde_json::from_value(serde_json::json!({"page": "trois", "boxes": 5})).unwrap();
            map.insert(&mut txn, "a0", bad);
        }
        let got = from_doc(&doc);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].id, "a0");
        assert_eq!(got[0].page, None);
        assert!(got[0].boxes.is_empty());
        assert_eq!(got[1].boxes, vec![BBox::new(1.0, 2.0, 3.0, 4.0)]);
        assert_eq!(got[1].quote.as_deref(), Some("coups de poing à l'épaule"));
        assert!(got[1].resolved);
    }
}
