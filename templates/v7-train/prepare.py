"""Turns the V7 item's annotations into a training table (labels.csv) and reports its classes."""
import csv
import json
import os

import v7_payload

delivery = v7_payload.load("annotations")
item = delivery.item
rows = []
for annotation in delivery.annotations or []:
    box = annotation.extra.get("bounding_box") or {}
    rows.append({
        "item": item.name,
        "dataset": item.source_info.dataset.slug or item.source_info.dataset.name,
        "label": annotation.name or "",
        "x": box.get("x", ""), "y": box.get("y", ""), "w": box.get("w", ""), "h": box.get("h", ""),
    })

outputs = os.environ.get("VH_OUTPUTS_DIR", "outputs")
os.makedirs(outputs, exist_ok=True)
with open(os.path.join(outputs, "labels.csv"), "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=["item", "dataset", "label", "x", "y", "w", "h"])
    writer.writeheader()
    writer.writerows(rows)
classes = sorted({row["label"] for row in rows if row["label"]})
print(f"prepared {len(rows)} annotations of {item.name}")
print(json.dumps({"class_count": len(classes), "annotation_count": len(rows)}))
