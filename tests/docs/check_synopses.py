#!/usr/bin/env python3
"""docs/cli.md's synopses list every option of each command: for each
`## persona CMD` section, every option that `persona CMD --help` lists
appears (as --long or -s) in the section's synopsis lines (the indented
`    persona CMD …` lines right under the heading), and the synopses name
no option the command does not have.

usage: check_synopses.py PERSONA docs/cli.md
"""
import re
import subprocess
import sys


def help_options(persona, cmd):
    out = subprocess.run([persona, cmd, "--help"], capture_output=True, text=True, check=True).stdout
    opts = []
    section = out.split("Application Options:", 1)[1].split("\n\n", 1)[0]
    for line in section.splitlines():
        m = re.match(r"\s+(?:-(\w), )?--([a-z][a-z-]*)", line)
        if m:
            opts.append((m.group(1), m.group(2)))
    return opts


def synopses(doc):
    """{cmd: synopsis text} from the lines under each `## persona CMD`."""
    out = {}
    # A synopsis may go on over lines indented further than its first.
    for m in re.finditer(r"^## persona (\w+)\n\n((?:    persona .*\n)(?:    (?:persona | +).*\n)*)", doc, re.M):
        out[m.group(1)] = m.group(2)
    return out


def main():
    persona, doc_path = sys.argv[1], sys.argv[2]
    syn = synopses(open(doc_path, encoding="utf-8").read())
    failures = []
    for cmd, text in sorted(syn.items()):
        opts = help_options(persona, cmd)
        for short, long in opts:
            if f"--{long}" not in text and not (short and re.search(rf"(?<![\w-])-{short}\b", text)):
                failures.append(f"persona {cmd}: the synopsis does not list --{long}")
        known = {long for _, long in opts} | {"help"}
        for m in re.finditer(r"(?<![\w-])--([a-z][a-z-]*)", text):
            if m.group(1) not in known:
                failures.append(f"persona {cmd}: the synopsis lists --{m.group(1)}, which the command does not have")
    if len(syn) < 8:
        failures.append(f"only {len(syn)} synopses found in {doc_path}")
    for f in failures:
        print(f)
    print(f"{len(syn)} commands, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
