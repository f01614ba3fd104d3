"""Read an export folder with the real clients (pyarrow and DuckDB) and report what they see.

Usage: python3 check_exports.py EXPORT_DIR  (PYTHONPATH=.deps/python, see the Makefile)
Prints one JSON object: per table the row counts seen by each client, the schema version from
the file metadata, the column types; join checks run in DuckDB; a few text columns verbatim so
the caller can compare accented text byte for byte.
"""

import json
import os
import sys

import duckdb
import pyarrow.parquet as pq

TABLES = ["documents", "pages", "passages", "pieces", "offences", "answers", "citations", "corrections", "annotations"]

out_dir = sys.argv[1]
report = {"pyarrow": pyarrow_version if (pyarrow_version := __import__("pyarrow").__version__) else None,
          "duckdb": duckdb.__version__, "tables": {}, "joins": {}, "texts": {}}
con = duckdb.connect()
for table in TABLES:
    path = os.path.join(out_dir, f"{table}.parquet")
    pf = pq.ParquetFile(path)
    t = pf.read()
    meta = {k.decode(): v.decode() for k, v in (pf.metadata.metadata or {}).items() if not k.startswith(b"ARROW:")}
    con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
    duck_rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    duck_meta = dict(
        (k.decode() if isinstance(k, bytes) else k, v.decode() if isinstance(v, bytes) else v)
        for k, v in con.execute(f"SELECT key, value FROM parquet_kv_metadata('{path}')").fetchall()
    )
    codecs = {pf.metadata.row_group(i).column(j).compression
              for i in range(pf.metadata.num_row_groups) for j in range(pf.metadata.num_columns)}
    report["tables"][table] = {
        "pyarrow_rows": t.num_rows,
        "duckdb_rows": duck_rows,
        "schema_version": meta.get("assistant_parquet.schema_version"),
        "duckdb_schema_version": duck_meta.get("assistant_parquet.schema_version"),
        "codecs": sorted(codecs),
        "types": {f.name: str(f.type) for f in t.schema},
        "duckdb_types": {r[0]: r[1] for r in con.execute(f"DESCRIBE {table}").fetchall()},
    }


def scalar(sql):
    return con.execute(sql).fetchone()[0]


report["joins"] = {
    "citations_without_answer": scalar(
        "SELECT count(*) FROM citations c ANTI JOIN answers a ON c.dossier = a.dossier AND c.answer = a.answer"),
    "citations_without_page": scalar(
        "SELECT count(*) FROM citations c ANTI JOIN pages p ON c.dossier = p.dossier AND c.document = p.document AND c.page = p.page"),
    "citations_without_passage": scalar(
        "SELECT count(*) FROM citations c ANTI JOIN passages p ON c.dossier = p.dossier AND c.passage = p.passage"),
    "answers_citation_count_mismatch": scalar(
        "SELECT count(*) FROM answers a LEFT JOIN (SELECT dossier, answer, count(*) FILTER (WHERE version IS NULL) n "
        "FROM citations GROUP BY ALL) c USING (dossier, answer) WHERE a.citations <> coalesce(c.n, 0)"),
    "pages_without_document": scalar(
        "SELECT count(*) FROM pages p ANTI JOIN documents d ON p.dossier = d.dossier AND p.document = d.document"),
    "document_page_count_mismatch": scalar(
        "SELECT count(*) FROM documents d LEFT JOIN (SELECT dossier, document, count(*) n FROM pages GROUP BY ALL) p "
        "USING (dossier, document) WHERE d.pages <> coalesce(p.n, 0)"),
    "passages_without_piece": scalar(
        "SELECT count(*) FROM passages p ANTI JOIN pieces q ON p.dossier = q.dossier AND p.piece = q.piece WHERE p.piece IS NOT NULL"),
    "passage_spans_without_page": scalar(
        "SELECT count(*) FROM (SELECT dossier, document, unnest(spans).page AS page FROM passages) s "
        "ANTI JOIN pages p ON s.dossier = p.dossier AND s.document = p.document AND s.page = p.page"),
    "offence_evidence_without_page": scalar(
        "SELECT count(*) FROM (SELECT dossier, unnest(evidence) AS e FROM offences) o "
        "ANTI JOIN pages p ON o.dossier = p.dossier AND o.e.document = p.document AND o.e.page = p.page"),
    "citations_joined": scalar(
        "SELECT count(*) FROM citations c JOIN answers a USING (dossier, answer) "
        "JOIN pages p ON c.dossier = p.dossier AND c.document = p.document AND c.page = p.page"),
    "ocr_fixed_passages": scalar("SELECT count(*) FROM passages WHERE ocr_fixed"),
}
report["reviews"] = {
    "answer": con.execute("SELECT answer, corrected, corrected_by, text FROM answers WHERE corrected IS NOT NULL").fetchone(),
    "offence": con.execute("SELECT offence, corrected FROM offences WHERE corrected IS NOT NULL").fetchone(),
}
report["ocr_pages_with_confidence"] = scalar(
    "SELECT count(*) FROM pages WHERE method = 'ocr' AND ocr_confidence IS NOT NULL AND ocr_decision <> 'text_layer_ok'")
report["texts"] = {
    "correction_new_values": [r[0] for r in con.execute(
        "SELECT new_value FROM corrections ORDER BY correction").fetchall()],
    "correction_old_values": [r[0] for r in con.execute(
        "SELECT old_value FROM corrections ORDER BY correction").fetchall()],
    "annotation_comments_pyarrow": pq.read_table(os.path.join(out_dir, "annotations.parquet")).column("comment").to_pylist(),
    "annotation_comments_duckdb": [r[0] for r in con.execute("SELECT comment FROM annotations ORDER BY annotation").fetchall()],
    "annotation_boxes": [r[0] for r in con.execute(
        "SELECT [[b.x0, b.y0, b.x1, b.y1] for b in boxes] FROM annotations ORDER BY annotation").fetchall()],
    "piece_titles": sorted(r[0] for r in con.execute("SELECT title FROM pieces").fetchall()),
    "pages_with_proces_verbal": scalar("SELECT count(*) FROM pages WHERE text LIKE '%PROCÈS-VERBAL%'"),
    "answer_texts": sorted(r[0] for r in con.execute("SELECT text FROM answers").fetchall()),
    "citation_quotes_pyarrow": sorted(pq.read_table(os.path.join(out_dir, "citations.parquet")).column("quote").to_pylist()),
}
print(json.dumps(report, ensure_ascii=False))
