#!/usr/bin/env python3
"""Extract the texts of every article cited by datasets/data/taxonomy.toml into
datasets/data/articles.json, from the public legal snapshot (one JSON object per article).

    python3 datasets/tools/extract_articles.py [--legal DIR] [--check]

--check verifies that articles.json matches the snapshot instead of writing it (exit 1 if not).
The Code de la santé publique is not in the snapshot: its cited articles are kept from the
existing articles.json (entries marked "source": "manual") and reported.
"""
import argparse, json, pathlib, sys, tomllib

HERE = pathlib.Path(__file__).resolve().parent.parent
CODES = {"CP": "code-penal.jsonl", "C. route": "code-de-la-route.jsonl", "CPP": "code-de-procedure-penale.jsonl"}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--legal", default=str(HERE.parent.parent / "shared" / "legal"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    taxonomy = tomllib.loads((HERE / "data" / "taxonomy.toml").read_text())
    cited = {a for c in taxonomy["category"] for a in c["articles"]}
    for c in taxonomy["category"]:
        for g in c.get("aggravations", []):
            if "article" in g:
                head, _, tail = g["article"].rpartition(" ")
                cited.add(head if tail.endswith("°") else g["article"])
    cited = sorted(cited)
    out_path = HERE / "data" / "articles.json"
    existing = json.loads(out_path.read_text()) if out_path.exists() else {}
    index = {}
    for prefix, name in CODES.items():
        for line in open(pathlib.Path(args.legal) / name, encoding="utf-8"):
            rec = json.loads(line)
            index[f"{prefix} {rec['article']}"] = rec
    out, problems = {}, []
    for ref in cited:
        if ref in index:
            rec = index[ref]
            out[ref] = {"code": rec["code"], "article": rec["article"], "headings": rec["headings"],
                        "text": rec["text"], "source": "legi-2020-09-01"}
        elif existing.get(ref, {}).get("source") == "manual":
            out[ref] = existing[ref]
            print(f"note: {ref} kept from the manual entry (not in the snapshot)", file=sys.stderr)
        else:
            problems.append(ref)
    if problems:
        print("articles without a text: " + ", ".join(problems), file=sys.stderr)
        sys.exit(1)
    text = json.dumps(out, ensure_ascii=False, indent=1) + "\n"
    if args.check:
        if existing != out:
            print("articles.json differs from the snapshot; rerun without --check", file=sys.stderr)
            sys.exit(1)
        print(f"ok: {len(out)} articles match")
    else:
        out_path.write_text(text, encoding="utf-8")
        print(f"wrote {len(out)} articles to {out_path}")

main()
