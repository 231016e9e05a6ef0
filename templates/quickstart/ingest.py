"""Counts the rows of a CSV data drop announced by a signed webhook and writes a summary output."""
import argparse
import json
import os

import valohai_inputs

parser = argparse.ArgumentParser()
parser.add_argument("--source", required=True)
args = parser.parse_args()

with open(valohai_inputs.input_path("dataset"), encoding="utf-8") as f:
    payload = json.load(f)

summary = {"source": args.source, "kind": payload["data"]["kind"], "rows": len(payload["data"].get("rows", []))}
with open(os.path.join(valohai_inputs.outputs_dir(), "summary.json"), "w", encoding="utf-8") as f:
    json.dump(summary, f)
print(json.dumps(summary))
