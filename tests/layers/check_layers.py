#!/usr/bin/env python3
"""check_layers.py - the layer rules of docs/architecture.md, checked.

    check_layers.py SOURCE_DIR [BUILD_DIR]

1. Includes. Every quoted #include of every C file (and grammar/*.y, *.l)
   is resolved the way the compiler would (the including file's folder,
   then the repository root, then include/); a header that resolves into
   the repository must lie in a folder the including folder may use
   (ALLOWED below). A header that does not resolve in the repository
   (GLib, SQLite, PostgreSQL, generated parser.h) is outside the rules.
2. Symbols (with BUILD_DIR). The objects of the components above the
   library (runner, renderer, report, segments, backtest, unify, CLI) may use only the library's public functions:
   every symbol they take from libpersona.a starts with persona_. The
   objects of runtime/, stdlib/ and compiler/ call no public function (the
   facade is above them); they may only name the error domain.

Exit 1 with one line per violation.
"""
import os
import re
import subprocess
import sys

# folder -> the folders its files may include from. The library is
# grammar, compiler, runtime and stdlib under the facade api/;
# include/persona.h is the public API (runtime uses only its error domain
# and status codes: rule 2). Tests, fuzz targets and benchmarks are
# white-box and may include anything.
LIBRARY_INNER = {"grammar", "compiler", "runtime", "stdlib"}
ALLOWED = {
    "stdlib": {"stdlib", "runtime"},
    "runtime": {"runtime", "stdlib", "include"},
    "grammar": {"grammar", "compiler"},
    "compiler": {"compiler", "grammar", "runtime", "stdlib"},
    "api": {"api", "include"} | LIBRARY_INNER,
    "runner": {"runner", "include"},
    # Components over the public API: each may use its own folder, the
    # shared renderer and include/ only.
    "render": {"render", "include"},
    "report": {"report", "render", "include"},
    "segments": {"segments", "render", "include"},
    "backtest": {"backtest", "render", "include"},
    "unify": {"unify", "include"},
    "diff": {"diff", "render", "include"},
    "experiment": {"experiment", "render", "include"},
    "tools": {"tools", "runner", "render", "report", "segments", "backtest", "unify", "diff", "experiment", "include"},
    "pg": {"pg", "include"},
    "examples": {"examples", "include"},
}
# grammar/ may use only the syntax tree and diagnostics of compiler/: the
# parser's output types, not the checker or code generator.
GRAMMAR_FROM_COMPILER = {"ast.h", "diag.h", "source.h"}
PUBLIC_SYMBOL_EXCEPTIONS = {"persona_error_quark"}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def top_folder(root, path):
    return os.path.relpath(path, root).split(os.sep)[0]


def resolve(root, including, name):
    for base in (os.path.dirname(including), root, os.path.join(root, "include")):
        cand = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(cand):
            return cand
    return None


def source_files(root):
    for folder in ALLOWED:
        top = os.path.join(root, folder)
        for dirpath, _, files in os.walk(top):
            for f in files:
                if f.endswith((".c", ".h", ".y", ".l")):
                    yield os.path.join(dirpath, f)


def check_includes(root):
    errors = []
    for path in sorted(source_files(root)):
        folder = top_folder(root, path)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        for m in INCLUDE_RE.finditer(text):
            target = resolve(root, path, m.group(1))
            if target is None or not target.startswith(root + os.sep):
                continue
            to = top_folder(root, target)
            line = text.count("\n", 0, m.start()) + 1
            rel = os.path.relpath(path, root)
            if to not in ALLOWED[folder]:
                errors.append(f"{rel}:{line}: {folder}/ may not include {os.path.relpath(target, root)}"
                              f" (allowed: {', '.join(sorted(ALLOWED[folder]))})")
            elif folder == "grammar" and to == "compiler" and os.path.basename(target) not in GRAMMAR_FROM_COMPILER:
                errors.append(f"{rel}:{line}: grammar/ may include only the syntax tree and diagnostics of "
                              f"compiler/, not {os.path.relpath(target, root)}")
    return errors


def nm(args):
    out = subprocess.run(["nm"] + args, capture_output=True, text=True, check=True).stdout
    return out


def defined_in_library(build):
    syms = set()
    for line in nm(["-g", "--defined-only", os.path.join(build, "libpersona.a")]).splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms.add(parts[2])
    return syms


def objects(root, build, target, folder):
    """The objects of `target` compiled from `folder`, skipping stale ones
    whose source file is gone (a build directory kept across a move)."""
    d = os.path.join(build, "CMakeFiles", target + ".dir", folder)
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if f.endswith(".c.o") and os.path.isfile(os.path.join(root, folder, f[:-2])))


def undefined(obj):
    return [l.split()[-1] for l in nm(["-u", obj]).splitlines() if l.strip()]


def check_symbols(root, build):
    errors = []
    lib = defined_in_library(build)
    above = (objects(root, build, "persona_cli", "tools") + objects(root, build, "persona_runner", "runner")
             + objects(root, build, "persona_backtest", "backtest")
             + objects(root, build, "persona_render", "render") + objects(root, build, "persona_report", "report")
             + objects(root, build, "persona_unify", "unify")
             + objects(root, build, "persona_diff", "diff")
             + objects(root, build, "persona_segments", "segments")
             + objects(root, build, "persona_experiment", "experiment"))
    if not above:
        return [f"{build}: no objects of the CLI or runner found (build first)"]
    for obj in above:
        for s in undefined(obj):
            if s in lib and not s.startswith("persona_"):
                errors.append(f"{os.path.basename(obj)}: uses the library's internal symbol {s}")
    inner = []
    for target in ("persona_rt_objs", "persona_core_objs", "persona_front_objs"):
        for folder in ("runtime", "stdlib", "compiler"):
            inner += objects(root, build, target, folder)
    for obj in inner:
        for s in undefined(obj):
            if s.startswith("persona_") and s in lib and s not in PUBLIC_SYMBOL_EXCEPTIONS:
                errors.append(f"{os.path.basename(obj)}: calls the public function {s} from below the facade")
    return errors


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    root = os.path.realpath(sys.argv[1])
    errors = check_includes(root)
    if len(sys.argv) == 3:
        errors += check_symbols(root, os.path.realpath(sys.argv[2]))
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
