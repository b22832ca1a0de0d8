#!/usr/bin/env python3
"""Compiles and runs the C examples of a Markdown document.

An example is a `<!-- c-example: NAME -->` marker followed by a ```c block
(a whole program) and an ```output block (its exact standard output). The
program is compiled with CC against the headers in SOURCE/include and the
libpersona.so of BUILD (warnings are errors), and run.

usage: check_c_examples.py CC SOURCE BUILD DOC.md [FLAGS]

FLAGS: extra compile and link flags (the sanitizer flags of an ASan build).
"""
import os
import re
import subprocess
import sys
import tempfile


def main():
    cc, src, build, doc_path = sys.argv[1:5]
    flags = sys.argv[5].split() if len(sys.argv) > 5 else []
    doc = open(doc_path, encoding="utf-8").read()
    glib = subprocess.run(["pkg-config", "--cflags", "--libs", "glib-2.0"], capture_output=True, text=True,
                          check=True).stdout.split()
    failures = examples = 0
    with tempfile.TemporaryDirectory() as tmp:
        for m in re.finditer(r"<!-- c-example: (\w+) -->", doc):
            name = m.group(1)
            blocks = list(re.finditer(r"```(c|output)\n(.*?)```", doc[m.end():], re.S))[:2]
            if [b.group(1) for b in blocks] != ["c", "output"]:
                print(f"FAIL {name}: expected a c and an output block")
                failures += 1
                continue
            examples += 1
            c_file, exe = os.path.join(tmp, name + ".c"), os.path.join(tmp, name)
            with open(c_file, "w", encoding="utf-8") as f:
                f.write(blocks[0].group(2))
            r = subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", os.path.join(src, "include"),
                                c_file, "-o", exe, "-L", build, "-lpersona", "-Wl,-rpath," + build] + flags + glib,
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(f"FAIL {name}: does not compile:\n{r.stderr}")
                failures += 1
                continue
            r = subprocess.run([exe], capture_output=True, text=True)
            if r.returncode != 0 or r.stdout != blocks[1].group(2):
                print(f"FAIL {name} (exit {r.returncode}):\n--- expected\n{blocks[1].group(2)}--- actual\n"
                      f"{r.stdout}{r.stderr}")
                failures += 1
    if examples == 0:
        print("no c-example in " + doc_path)
        return 1
    print(f"{examples - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
