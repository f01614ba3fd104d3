"""Recompute an eval run's summary from its per-item rows, with pyarrow and DuckDB.

Usage: python3 check_eval.py RUN_DIR [FLIPPED_DIR]
Prints JSON: the figures per group recomputed from items.parquet (DuckDB GROUP BY), the row
count and types seen by pyarrow. With FLIPPED_DIR, also writes there a copy of the run whose
first item has its `correct` flipped (pyarrow), to exercise `eval --compare`.
"""

import json
import os
import shutil
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

run = sys.argv[1]
items = os.path.join(run, "items.parquet")
t = pq.read_table(items)
con = duckdb.connect()
con.execute(f"CREATE VIEW items AS SELECT * FROM read_parquet('{items}')")


def groups(key):
    rows = con.execute(
        f"SELECT {key}, count(*), count(*) FILTER (WHERE correct), sum(citations), sum(citations_overlapping) "
        f"FROM items GROUP BY ALL ORDER BY 1").fetchall()
    return {r[0]: {"items": r[1], "correct": r[2], "citations": int(r[3]), "citations_overlapping": int(r[4])} for r in rows}


report = {
    "rows": t.num_rows,
    "types": {f.name: str(f.type) for f in t.schema},
    "overall": groups("'ensemble'")["ensemble"],
    "by_category": groups("category"),
    "by_question": groups("question"),
    "by_mode": groups("mode"),
    "dossiers": con.execute("SELECT count(DISTINCT dossier) FROM items").fetchone()[0],
    "per_dossier": dict(con.execute("SELECT dossier, count(*) FROM items GROUP BY dossier").fetchall()),
    "first_item": con.execute("SELECT dossier, question, correct FROM items LIMIT 1").fetchone(),
}
if len(sys.argv) > 2:
    flipped = sys.argv[2]
    os.makedirs(flipped, exist_ok=True)
    correct = t.column("correct").to_pylist()
    correct[0] = not correct[0]
    i = t.schema.get_field_index("correct")
    pq.write_table(t.set_column(i, t.schema.field(i), pa.array(correct, pa.bool_())), os.path.join(flipped, "items.parquet"))
    shutil.copy(os.path.join(run, "summary.json"), os.path.join(flipped, "summary.json"))
print(json.dumps(report, ensure_ascii=False))
