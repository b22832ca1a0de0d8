#!/usr/bin/env python3
"""Runs the runnable examples of a Markdown document and compares results.

An example is a `<!-- example: NAME -->` marker followed by three fenced
blocks: ```persona (the model), ```json (input lines) and ```expected (the
exact output of `persona eval … --now 2026-02-01T00:00:00Z`). A ```persona
block preceded by `<!-- example-test: NAME -->` must pass `persona test`.
Every other ```persona block must at least pass `persona check`, unless it
is preceded by `<!-- fragment -->`.

usage: check_examples.py PERSONA DOC.md
"""
import os
import re
import subprocess
import sys
import tempfile

NOW = "2026-02-01T00:00:00Z"


def run(persona, args, stdin=None, cwd=None):
    return subprocess.run([persona] + args, input=stdin, capture_output=True, cwd=cwd)


def main():
    persona, doc_path = os.path.abspath(sys.argv[1]), sys.argv[2]
    doc = open(doc_path, encoding="utf-8").read()
    failures = 0
    examples = 0
    covered = set()
    with tempfile.TemporaryDirectory() as tmp:
        for m in re.finditer(r"<!-- example: (\w+) -->", doc):
            name = m.group(1)
            blocks = list(re.finditer(r"```(persona|json|expected)\n(.*?)```", doc[m.end():], re.S))[:3]
            kinds = [b.group(1) for b in blocks]
            if kinds != ["persona", "json", "expected"]:
                print(f"FAIL {name}: expected persona, json and expected blocks, found {kinds}")
                failures += 1
                continue
            covered.add(m.end() + blocks[0].start())
            work = os.path.join(tmp, name)
            os.makedirs(work)
            with open(os.path.join(work, "model.persona"), "w", encoding="utf-8") as f:
                f.write(blocks[0].group(2))
            r = run(persona, ["eval", "model.persona", "--now", NOW], stdin=blocks[1].group(2).encode(), cwd=work)
            got = r.stdout.decode()
            want = blocks[2].group(2)
            examples += 1
            if got != want:
                failures += 1
                print(f"FAIL {name} (exit {r.returncode}):\n--- expected\n{want}--- actual\n{got}{r.stderr.decode()}")
        for m in re.finditer(r"```persona\n(.*?)```", doc, re.S):
            if m.start() in covered or doc[:m.start()].rstrip().endswith("<!-- fragment -->"):
                continue
            model = os.path.join(tmp, "block.persona")
            with open(model, "w", encoding="utf-8") as f:
                f.write(m.group(1))
            is_test = re.search(r"<!-- example-test: \w+ -->\s*$", doc[:m.start()]) is not None
            r = run(persona, ["test" if is_test else "check", model], cwd=tmp)
            examples += 1
            if r.returncode != 0:
                failures += 1
                line = doc[:m.start()].count("\n") + 1
                print(f"FAIL {doc_path}:{line}: a persona block does not pass:\n{r.stdout.decode()}{r.stderr.decode()}")
    print(f"{examples - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
