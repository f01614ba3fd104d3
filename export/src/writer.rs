//! One Parquet file written in record batches: rows in, bounded memory.
//!
//! Rows are plain `serde::Serialize` structs whose field names are the schema's columns; the
//! Arrow JSON decoder turns them into columns (nested lists and structs included), so each
//! table's row type stays one readable struct instead of a hand-written builder per column. At
//! most [`BATCH_ROWS`] rows are decoded at a time, and row groups are closed at
//! [`ROW_GROUP_BYTES`], so the memory an export takes does not grow with the dossier.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use arrow::json::reader::{Decoder, ReaderBuilder};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use serde::Serialize;

use crate::schema::{SCHEMA_VERSION, SCHEMA_VERSION_KEY, TABLE_KEY, table_schema};
use crate::{Error, Result};

/// Rows decoded into one record batch.
pub const BATCH_ROWS: usize = 1024;
/// A row group is closed once its encoded size reaches this.
pub const ROW_GROUP_BYTES: usize = 16 << 20;

/// A Parquet file being written.
pub struct TableWriter {
    table: &'static str,
    path: PathBuf,
    writer: ArrowWriter<File>,
    decoder: Decoder,
    rows: u64,
}

impl std::fmt::Debug for TableWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableWriter").field("table", &self.table).field("rows", &self.rows).finish_non_exhaustive()
    }
}

/// Writer properties of every export file: ZSTD, bounded row groups, versioned metadata.
pub fn writer_properties(table: &str) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).expect("valid zstd level")))
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .set_key_value_metadata(Some(vec![
            KeyValue::new(SCHEMA_VERSION_KEY.to_string(), SCHEMA_VERSION.to_string()),
            KeyValue::new(TABLE_KEY.to_string(), table.to_string()),
            KeyValue::new("assistant_parquet.version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ]))
        .build()
}

impl TableWriter {
    /// Create `dir/<table>.parquet` with the table's schema.
    pub fn create(dir: &Path, table: &'static str) -> Result<Self> {
        let schema = table_schema(table).ok_or_else(|| Error::UnknownTable(table.to_string()))?;
        Self::with_schema(&dir.join(format!("{table}.parquet")), table, schema)
    }

    /// Create a file at `path` with any schema (the eval results use this too).
    pub fn with_schema(path: &Path, table: &'static str, schema: SchemaRef) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(writer_properties(table)))?;
        let decoder = ReaderBuilder::new(schema).with_batch_size(BATCH_ROWS).with_strict_mode(true).build_decoder()?;
        Ok(Self { table, path: path.to_path_buf(), writer, decoder, rows: 0 })
    }

    /// Append one row (field names = column names).
    pub fn push<R: Serialize>(&mut self, row: &R) -> Result<()> {
        self.decoder.serialize(std::slice::from_ref(row)).map_err(|e| Error::Row(self.table, e.to_string()))?;
        self.rows += 1;
        if self.decoder.len() >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<()> {
        if let Some(batch) = self.decoder.flush().map_err(|e| Error::Row(self.table, e.to_string()))? {
            self.writer.write(&batch)?;
        }
        Ok(())
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Write what is buffered and the file footer; returns the path and the row count.
    pub fn finish(mut self) -> Result<(PathBuf, u64)> {
        self.flush_batch()?;
        self.writer.close()?;
        Ok((self.path, self.rows))
    }
}
