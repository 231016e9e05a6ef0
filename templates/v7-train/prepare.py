"""Turns the V7 delivery's annotations into a training table (labels.csv) and reports its classes.

Both bodies V7 posts work: a webhook-stage delivery (the item with Darwin JSON 2.0 annotations)
and a team webhook (`workflow_complete`: dataset id, file name and annotations)."""
import csv
import json
import os

import v7_payload

delivery = v7_payload.load("annotations")
rows = []
if isinstance(delivery, v7_payload.TeamWebhook):
    item_name = delivery.payload.filename
    dataset = str(delivery.payload.dataset_id)
    labelled = [(a.class_name, (a.data or {}).get("bounding_box")) for a in delivery.payload.annotations or []]
else:
    item_name = delivery.item.name or delivery.item.source_info.item_id
    source = delivery.item.source_info.dataset
    dataset = (source.slug or source.name or "") if source else ""
    labelled = [(a.name, a.extra.get("bounding_box")) for a in delivery.annotations or []]
for label, box in labelled:
    box = box or {}
    rows.append({
        "item": item_name,
        "dataset": dataset,
        "label": label or "",
        "x": box.get("x", ""), "y": box.get("y", ""), "w": box.get("w", ""), "h": box.get("h", ""),
    })

outputs = os.environ.get("VH_OUTPUTS_DIR", "outputs")
os.makedirs(outputs, exist_ok=True)
with open(os.path.join(outputs, "labels.csv"), "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=["item", "dataset", "label", "x", "y", "w", "h"])
    writer.writeheader()
    writer.writerows(rows)
classes = sorted({row["label"] for row in rows if row["label"]})
print(f"prepared {len(rows)} annotations of {item_name}")
print(json.dumps({"class_count": len(classes), "annotation_count": len(rows)}))
