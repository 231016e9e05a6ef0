"""Reads Valohai's execution-side files (config/inputs.json, config/parameters.json).

The same lookups valohai-utils does for `valohai.inputs(name).path()`; kept dependency-free so
the quickstart runs on a bare Python. With valohai-utils installed, use it instead.
"""
import json
import os


def _config(name):
    path = os.path.join(os.environ.get("VH_CONFIG_DIR", ".valohai/config"), name)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def input_path(name):
    return _config("inputs.json")[name]["files"][0]["path"]


def parameters():
    return _config("parameters.json")


def outputs_dir():
    return os.environ.get("VH_OUTPUTS_DIR", ".valohai/outputs")
