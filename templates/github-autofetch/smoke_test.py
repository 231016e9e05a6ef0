"""Runs at the pushed commit: reports what was pushed, then checks the code imports cleanly."""
import json
import os
import py_compile
import sys

import github_payload

push = github_payload.load("event")
head = push.head_commit
print(f"{push.repository.full_name if push.repository else '?'} {push.ref} -> {push.after}")
if head:
    print(f"head commit {head.id[:12]}: {(head.message or '').splitlines()[0] if head.message else ''}")

failures = []
for root, _, files in os.walk("."):
    for name in files:
        if name.endswith(".py"):
            path = os.path.join(root, name)
            try:
                py_compile.compile(path, doraise=True)
            except py_compile.PyCompileError as error:
                failures.append(f"{path}: {error.msg}")
print(json.dumps({"commit": push.after, "python_files_failing": len(failures)}))
if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
