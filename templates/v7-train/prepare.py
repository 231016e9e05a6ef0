"""Turns a batch of labelled V7 items into one training table (labels.csv) and fetches their files.

hooklaunch gathers the items V7 posts into batches (the trigger's `batch:` block) and runs this
step once per batch, with every delivery in the `annotations` input (batch.jsonl + index.json),
read through the generated parser. Both bodies V7 posts work: a webhook-stage delivery (the item,
its source file URLs and its Darwin JSON 2.0 annotations) and a team webhook (`workflow_complete`:
dataset id, file name and annotations; it names no files, so nothing is fetched for it).

An item delivered twice in one batch (sent back for rework and labelled again) counts once, with
its latest annotations. Each stage item's files go to $VH_OUTPUTS_DIR/items/<item id>/, fetched
through V7's API with $V7_API_KEY; V7_SKIP_DOWNLOAD=1 writes labels.csv only.
"""
import csv
import json
import os
import re
import sys

import v7_payload

batch = v7_payload.load_batch("annotations")
outputs = os.environ.get("VH_OUTPUTS_DIR", "outputs")
skip_download = os.environ.get("V7_SKIP_DOWNLOAD") == "1"

rows_of = {}  # item → its rows; a later delivery of the same item replaces (and moves) the earlier
stage_items = {}  # item → the latest stage delivery of it, whose files are fetched
for delivery in batch.items:
    if isinstance(delivery, v7_payload.TeamWebhook):
        item = ("team", str(delivery.payload.dataset_id), delivery.payload.filename)
        item_name = delivery.payload.filename
        dataset = str(delivery.payload.dataset_id)
        labelled = [(a.class_name, (a.data or {}).get("bounding_box")) for a in delivery.payload.annotations or []]
    else:
        item = ("stage", delivery.item.source_info.item_id)
        item_name = delivery.item.name or delivery.item.source_info.item_id
        source = delivery.item.source_info.dataset
        dataset = (source.slug or source.name or "") if source else ""
        labelled = [(a.name, a.extra.get("bounding_box")) for a in delivery.annotations or []]
        stage_items.pop(item, None)
        stage_items[item] = delivery
    rows = []
    for label, box in labelled:
        box = box or {}
        rows.append({
            "item": item_name,
            "dataset": dataset,
            "label": label or "",
            "x": box.get("x", ""), "y": box.get("y", ""), "w": box.get("w", ""), "h": box.get("h", ""),
        })
    rows_of.pop(item, None)
    rows_of[item] = rows

os.makedirs(outputs, exist_ok=True)
all_rows = [row for rows in rows_of.values() for row in rows]
with open(os.path.join(outputs, "labels.csv"), "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=["item", "dataset", "label", "x", "y", "w", "h"])
    writer.writeheader()
    writer.writerows(all_rows)

with_files = [d for d in stage_items.values() if any(s.url for slot in d.item.slots or [] for s in slot.source_files or [])]
downloaded = 0
if skip_download:
    print(f"V7_SKIP_DOWNLOAD=1: not fetching the files of {len(with_files)} items")
elif with_files:
    if not os.environ.get("V7_API_KEY"):
        sys.exit("V7_API_KEY is not set: V7 serves item files to an API key only (Authorization: ApiKey <key>). "
                 "Set it, or V7_SKIP_DOWNLOAD=1 to prepare labels.csv alone.")
    for delivery in with_files:
        # The item id names a folder: whatever V7 sends, it stays one path component.
        folder = re.sub(r"[^A-Za-z0-9._-]", "_", delivery.item.source_info.item_id).lstrip(".") or "item"
        downloaded += len(delivery.download_items(os.path.join(outputs, "items", folder)))

classes = sorted({row["label"] for row in all_rows if row["label"]})
print(f"prepared {len(all_rows)} annotations of {len(rows_of)} items from batch {batch.batch_id} ({len(batch.items)} deliveries), fetched {downloaded} files")
print(json.dumps({"class_count": len(classes), "annotation_count": len(all_rows), "item_count": len(rows_of), "file_count": downloaded}))
