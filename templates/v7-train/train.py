"""Trains a (deliberately tiny) model: per-class box-size priors learned from labels.csv."""
import argparse
import csv
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("--classes", type=int, default=0)
parser.add_argument("--epochs", type=int, default=5)
args = parser.parse_args()

config = os.environ.get("VH_CONFIG_DIR", "config")
with open(os.path.join(config, "inputs.json")) as f:
    labels_path = json.load(f)["labels"]["files"][0]["path"]
with open(labels_path, newline="") as f:
    rows = list(csv.DictReader(f))

model = {}
for epoch in range(args.epochs):
    for row in rows:
        area = float(row["w"] or 0) * float(row["h"] or 0)
        entry = model.setdefault(row["label"], {"count": 0, "mean_area": 0.0})
        if epoch == 0:
            entry["count"] += 1
        entry["mean_area"] += (area - entry["mean_area"]) / max(entry["count"], 1)

assert args.classes == len(model), f"prepare reported {args.classes} classes, found {len(model)}"
outputs = os.environ.get("VH_OUTPUTS_DIR", "outputs")
os.makedirs(outputs, exist_ok=True)
with open(os.path.join(outputs, "model.json"), "w") as f:
    json.dump({"classes": model, "epochs": args.epochs, "trained_on": len(rows)}, f, sort_keys=True)
print(json.dumps({"classes": len(model), "trained_on": len(rows)}))
