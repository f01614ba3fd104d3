//! The Arrow schemas of the exported tables, version [`SCHEMA_VERSION`].
//!
//! Analysts open the files with pyarrow, DuckDB or pandas; the column names and types here are
//! the contract documented in `docs/exports.md`. Change a column → bump [`SCHEMA_VERSION`] and
//! say what changed in that file. Every table carries the `dossier` column so the files of an
//! `--all` export join across dossiers; the other join keys are named alike in every table
//! (`document`, `page`, `passage`, `piece`, `answer`).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

/// Version of the export schemas, written in every file's key-value metadata
/// (`assistant_parquet.schema_version`).
pub const SCHEMA_VERSION: u32 = 1;

/// Metadata key holding [`SCHEMA_VERSION`].
pub const SCHEMA_VERSION_KEY: &str = "assistant_parquet.schema_version";
/// Metadata key holding the table name.
pub const TABLE_KEY: &str = "assistant_parquet.table";

/// The exported tables, in the order they are written.
pub const TABLES: [&str; 9] =
    ["documents", "pages", "passages", "pieces", "offences", "answers", "citations", "corrections", "annotations"];

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

fn u32f(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::UInt32, nullable)
}

fn f32f(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Float32, nullable)
}

fn timestamp(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())), nullable)
}

fn list_of(name: &str, item: DataType, nullable: bool) -> Field {
    Field::new(name, DataType::List(Arc::new(Field::new("item", item, false))), nullable)
}

/// `struct<x0, y0, x1, y1: float>`: a box in PDF points, origin at the page's top-left corner.
pub fn bbox_type() -> DataType {
    DataType::Struct(Fields::from(vec![f32f("x0", false), f32f("y0", false), f32f("x1", false), f32f("y1", false)]))
}

/// `struct<passage, document, page, boxes, quote>`: a citation nested in another row.
fn citation_type() -> DataType {
    DataType::Struct(Fields::from(vec![
        utf8("passage", false),
        utf8("document", false),
        u32f("page", false),
        list_of("boxes", bbox_type(), false),
        utf8("quote", false),
    ]))
}

fn schema(table: &str, fields: Vec<Field>) -> SchemaRef {
    let metadata = HashMap::from([
        (SCHEMA_VERSION_KEY.to_string(), SCHEMA_VERSION.to_string()),
        (TABLE_KEY.to_string(), table.to_string()),
    ]);
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

/// The schema of one of [`TABLES`].
pub fn table_schema(table: &str) -> Option<SchemaRef> {
    let fields = match table {
        "documents" => vec![
            utf8("dossier", false),
            utf8("document", false),
            utf8("name", false),
            utf8("sha256", false),
            u32f("pages", false),
            utf8("failure", true),
        ],
        "pages" => vec![
            utf8("dossier", false),
            utf8("document", false),
            u32f("page", false),
            f32f("width", false),
            f32f("height", false),
            utf8("method", false),
            utf8("ocr_decision", false),
            utf8("ocr_decision_detail", false),
            f32f("ocr_confidence", true),
            Field::new("rotation", DataType::UInt16, false),
            f32f("skew_deg", false),
            u32f("chars", false),
            u32f("words", false),
            utf8("piece", true),
            utf8("text", false),
        ],
        "passages" => vec![
            utf8("dossier", false),
            utf8("passage", false),
            utf8("kind", false),
            utf8("document", false),
            u32f("first_page", false),
            utf8("piece", true),
            utf8("text", false),
            Field::new("ocr_fixed", DataType::Boolean, false),
            list_of(
                "spans",
                DataType::Struct(Fields::from(vec![
                    u32f("page", false),
                    u32f("start", false),
                    u32f("end", false),
                    list_of("boxes", bbox_type(), false),
                ])),
                false,
            ),
        ],
        "pieces" => vec![
            utf8("dossier", false),
            utf8("piece", false),
            utf8("kind", false),
            utf8("document", false),
            u32f("first_page", false),
            u32f("last_page", false),
            utf8("title", false),
            list_of("persons", DataType::Struct(Fields::from(vec![utf8("nom", false), utf8("prenom", true)])), false),
        ],
        "offences" => vec![
            utf8("dossier", false),
            utf8("offence", false),
            utf8("label", false),
            list_of("articles", DataType::Struct(Fields::from(vec![utf8("id", false), utf8("text", false)])), false),
            list_of("aggravations", DataType::Utf8, false),
            f32f("confidence", false),
            list_of("evidence", citation_type(), false),
            list_of("pieces", DataType::Struct(Fields::from(vec![utf8("document", false), u32f("page", false)])), false),
            utf8("corrected", true),
        ],
        "answers" => vec![
            utf8("dossier", false),
            utf8("answer", false),
            utf8("question", false),
            utf8("wording", false),
            utf8("category", true),
            utf8("status", false),
            utf8("value", true),
            utf8("text", false),
            f32f("confidence", false),
            u32f("citations", false),
            list_of(
                "versions",
                DataType::Struct(Fields::from(vec![utf8("value", true), utf8("text", false), u32f("citations", false)])),
                false,
            ),
            utf8("corrected", true),
            utf8("corrected_by", true),
            timestamp("corrected_at", true),
            utf8("engine_version", false),
            utf8("operators_version", false),
            timestamp("exported_at", false),
        ],
        "citations" => vec![
            utf8("dossier", false),
            utf8("answer", false),
            u32f("citation", false),
            u32f("version", true),
            utf8("passage", false),
            utf8("document", false),
            u32f("page", false),
            Field::new("bbox", bbox_type(), true),
            list_of("boxes", bbox_type(), false),
            utf8("quote", false),
        ],
        "corrections" => vec![
            utf8("dossier", false),
            utf8("correction", false),
            utf8("author", false),
            utf8("time", false),
            timestamp("time_utc", true),
            utf8("kind", false),
            utf8("target", false),
            utf8("old_value", true),
            utf8("new_value", true),
            utf8("reason", true),
            list_of("passages", DataType::Utf8, false),
            utf8("change", false),
        ],
        "annotations" => vec![
            utf8("dossier", false),
            utf8("annotation", false),
            utf8("document", true),
            u32f("page", true),
            list_of("boxes", bbox_type(), false),
            utf8("quote", true),
            utf8("comment", true),
            utf8("author", true),
            utf8("time", true),
            timestamp("time_utc", true),
            Field::new("resolved", DataType::Boolean, false),
        ],
        _ => return None,
    };
    Some(schema(table, fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_a_versioned_schema_with_the_dossier_first() {
        for table in TABLES {
            let schema = table_schema(table).unwrap();
            assert_eq!(schema.field(0).name(), "dossier", "{table}");
            assert_eq!(schema.metadata()[SCHEMA_VERSION_KEY], SCHEMA_VERSION.to_string());
            assert_eq!(schema.metadata()[TABLE_KEY], table);
        }
        assert!(table_schema("nope").is_none());
    }
}
