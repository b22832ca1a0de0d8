#!/usr/bin/env python3
"""The docs stand alone: every relative link of README.md and docs/*.md
names a file inside the repository that exists (with its #anchor, when it
is a Markdown file), and no doc cites the sections of a document that is
not in the repository ("spec §6", "spec section 8", "spec 4.7").

usage: check_links.py REPO_ROOT
"""
import os
import re
import sys


def anchors(path):
    """GitHub's anchors of a Markdown file's headings."""
    out = set()
    for line in open(path, encoding="utf-8"):
        m = re.match(r"#+ (.*)", line)
        if m:
            a = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            out.add(a)
    return out


def main():
    root = os.path.realpath(sys.argv[1])
    docs = [os.path.join(root, "README.md")] + sorted(
        os.path.join(root, "docs", f) for f in os.listdir(os.path.join(root, "docs")) if f.endswith(".md"))
    failures = []
    for doc in docs:
        text = open(doc, encoding="utf-8").read()
        rel = os.path.relpath(doc, root)
        # Code blocks may show any text; links and citations outside them count.
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        for m in re.finditer(r"\bspec(?:'s)? (?:§|section )?\d", prose):
            failures.append(f"{rel}: cites a section of a document outside the repository: '{m.group(0)}'")
        for m in re.finditer(r"\]\(([^)\s]+)\)", prose):
            target = m.group(1)
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            path, _, anchor = target.partition("#")
            full = os.path.realpath(os.path.join(os.path.dirname(doc), path)) if path else doc
            if not (full == root or full.startswith(root + os.sep)):
                failures.append(f"{rel}: link outside the repository: {target}")
            elif not os.path.exists(full):
                failures.append(f"{rel}: link to a missing file: {target}")
            elif anchor and full.endswith(".md") and anchor not in anchors(full):
                failures.append(f"{rel}: link to a missing heading: {target}")
    for f in failures:
        print(f)
    print(f"{len(docs)} documents, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
