"""Greets whoever the webhook names: `{"name": "Ada"}` → `Hello, Ada!`."""
import argparse
import json

import valohai_inputs

parser = argparse.ArgumentParser()
parser.add_argument("--greeting", default="Hello")
parser.add_argument("--name", default="world")
args = parser.parse_args()

print(f"{args.greeting}, {args.name}!")
try:
    with open(valohai_inputs.input_path("request"), encoding="utf-8") as f:
        print("payload:", json.dumps(json.load(f)))
except (KeyError, IndexError, FileNotFoundError, json.JSONDecodeError):
    pass
