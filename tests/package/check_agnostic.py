#!/usr/bin/env python3
"""The engines are domain-agnostic: no concept, misconception, domain or
subject name or id from the bundled domains appears in src/ or capi/."""
import json
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
terms = set()
for d in sorted((root / "examples" / "domains").iterdir()):
    if not d.is_dir():
        continue
    kg = json.loads((d / "knowledge_graph.json").read_text())
    tax = json.loads((d / "taxonomy.json").read_text())
    meta = kg.get("metadata", {})
    terms.update([kg["domain"], meta.get("name", ""), meta.get("subject", "")])
    for c in kg["concepts"]:
        terms.update([c["id"], c.get("name", "")])
    for concept_id, items in tax["misconceptions"].items():
        for m in items:
            terms.update([m["id"], m.get("label", "")])
terms = {t.lower() for t in terms if len(t) >= 4}

sources = [p for sub in ("src", "capi") for p in (root / sub).rglob("*") if p.is_file()]
found = []
for p in sources:
    text = p.read_text(errors="replace").lower()
    for t in terms:
        if re.search(r"(?<![a-z0-9_])" + re.escape(t) + r"(?![a-z0-9_])", text):
            found.append(f"{p.relative_to(root)}: '{t}'")
if found:
    print("domain names found in engine code:\n  " + "\n  ".join(sorted(found)))
    sys.exit(1)
print(f"checked {len(terms)} domain names and ids against {len(sources)} files in src/ and capi/: none found")
