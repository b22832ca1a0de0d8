#!/usr/bin/env python3
"""browser_test.py - persona report's HTML page in a real browser.

    browser_test.py PERSONA SOURCE_DIR WORK_DIR

Writes the report of the shipped example (journeys model, three runs of
state, as scripts/example.sh does) as HTML and as JSON, then opens the page
in headless Chromium from its file:// URL:

  - no console message of level warning or error, no uncaught exception,
    no request for anything outside the page (the page has no script, so
    any would be a broken resource);
  - the DOM after loading holds every table and chart of the JSON, each
    number cell's data-value and each bar's label and value equal to the
    JSON's, and every chart with data has bars of non-zero size;
  - Chinese labels are in the page, and a CJK font is installed so they
    render (fc-list :lang=zh);
  - a screenshot is kept in WORK_DIR/report.png (a PNG of the page's size);
  - persona experiment's page of the shipped experiment loads cleanly too,
    and its arms table and rate chart equal its --format json;
  - `persona backtest --format html` (same renderer) of the golden backtest
    data: its band tables and its gain, lift and calibration points equal
    the backtest's own JSON at the page's decimals;
  - `persona diff --format html` (same renderer) of the example model and a
    changed copy: its tag, stage-matrix, score and journey tables, its
    histograms and its most changed profiles equal diff's own JSON; no
    phone number (a pii field the changed rules read) is in the page; a
    screenshot is kept in WORK_DIR/diff.png.

Exit 77 (skipped) when chromium is not installed: scripts/test.sh installs
it (scripts/deps.sh chromium fonts-noto-cjk).
"""
import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser

SKIP = 77
NOW = "2026-03-01T00:00:00Z"
RUNS = ["2026-02-01T00:00:00Z", "2026-02-04T00:00:00Z", "2026-02-20T00:00:00Z"]
CHROMIUM_FLAGS = ["--headless=new", "--window-size=1200,900", "--no-sandbox", "--disable-gpu",
                  "--enable-logging=stderr", "--v=0", "--allow-file-access-from-files"]


class Page(HTMLParser):
    """Tables (data-table) with their number cells, charts (data-chart)
    with their bars, and the text, from the DOM Chromium dumped."""

    def __init__(self):
        super().__init__()
        self.tables, self.charts, self.text = {}, {}, []
        self.table = self.chart = None
        self.row = None
        self.keys = []
        self.external = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for attr in ("src", "href"):
            if a.get(attr) and not a[attr].startswith("#"):
                self.external.append(f"<{tag} {attr}={a[attr]}>")
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.external.append(f"<{tag}>")
        if tag == "table" and "data-table" in a:
            self.table = a["data-table"]
            self.tables[self.table] = []
            self.keys = []
        elif tag == "th" and self.table is not None:
            self.keys.append(a.get("data-key"))
        elif tag == "tr" and self.table is not None:
            self.row = {}
            self.col = 0
        elif tag == "td" and self.row is not None:
            if "data-value" in a:
                self.row[self.keys[self.col]] = a["data-value"]
            self.col += 1
        elif tag == "svg" and "data-chart" in a:
            self.chart = a["data-chart"]
            self.charts[self.chart] = []
        elif tag == "rect" and self.chart is not None:
            self.charts[self.chart].append(
                (a.get("data-label"), a.get("data-value"), float(a["width"]), float(a["height"])))

    def handle_endtag(self, tag):
        if tag == "tr" and self.row is not None:
            if self.row:
                self.tables[self.table].append(self.row)
            self.row = None
        elif tag == "table":
            self.table = None
        elif tag == "svg":
            self.chart = None

    def handle_data(self, data):
        self.text.append(data)


def number(v):
    """A number of the JSON or a data-value of the page, to compare: both
    are the same decimal text, so they parse to the same float."""
    return None if v is None or v == "" else float(v)


def check_backtest(persona, src, work, chromium):
    """persona backtest --format html: the same renderer; its bands, gain,
    lift and calibration points and rule rows equal the backtest's own JSON
    (--format json), at the page's decimals."""
    errors = []
    golden = os.path.join(src, "tests", "golden", "backtest_text")
    args = [persona, "backtest", os.path.join(golden, "model.persona"), os.path.join(golden, "profiles.jsonl"),
            "--as-of", "2025-12-01", "--as-of", "2026-01-01", "--horizon", "30d", "--bands", "4",
            "--outcome", 'exists(events where type == "deal_won" and at > cutoff)']
    html = os.path.join(work, "backtest.html")
    with open(html, "w") as fh:
        subprocess.run(args + ["--format", "html"], check=True, stdout=fh)
    data = json.loads(subprocess.run(args + ["--format", "json"], check=True, capture_output=True,
                                     text=True).stdout)
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, "--dump-dom", "file://" + os.path.abspath(html)],
                         capture_output=True, text=True, timeout=120)
    if dom.returncode != 0 or "</html>" not in dom.stdout:
        return [f"backtest: chromium --dump-dom failed ({dom.returncode})"]
    for line in dom.stderr.splitlines():
        if ":CONSOLE" in line or "Uncaught" in line:
            errors.append(f"backtest console: {line}")
    page = Page()
    page.feed(dom.stdout)
    errors += [f"backtest page refers outside: {e}" for e in page.external]

    def near(got, want, decimals, what):
        if want is None:
            ok = got is None
        else:
            ok = got is not None and abs(got - want) <= 0.5 * 10 ** -decimals + 1e-9
        if not ok:
            errors.append(f"backtest {what}: page {got}, JSON {want}")

    for name, score in data["scores"].items():
        rows = page.tables.get(f"bands.{name}", [])
        if len(rows) != len(score["bands"]):
            errors.append(f"backtest bands.{name}: {len(rows)} rows, JSON {len(score['bands'])}")
            continue
        for row, band in zip(rows, score["bands"]):
            near(number(row["n"]), band["n"], 0, f"bands.{name} n")
            near(number(row["positives"]), band["positives"], 0, f"bands.{name} positives")
            near(number(row.get("rate")), band["rate"] and 100 * band["rate"], 1, f"bands.{name} rate")
            near(number(row.get("capture")), 100 * band["capture"], 1, f"bands.{name} capture")
        gain = page.charts.get(f"gain.{name}", [])
        near(float(len(gain)), float(len(score["bands"])), 0, f"gain.{name} points")
        for (label, value, w, h), band in zip(gain, score["bands"]):
            near(number(value), 100 * band["capture"], 1, f"gain.{name} band {label}")
            if not (w > 0 and h > 0):
                errors.append(f"backtest gain.{name}: point {label} not drawn")
        filled = [b for b in score["bands"] if b["n"]]
        for chart, key, scale, decimals in (("lift", "lift", 1, 3), ("calibration", "rate", 100, 1)):
            points = page.charts.get(f"{chart}.{name}", [])
            near(float(len(points)), float(len(filled)), 0, f"{chart}.{name} points")
            for (label, value, _, _), band in zip(points, filled):
                near(number(value), scale * band[key], decimals, f"{chart}.{name} band {label}")
        for row, rule in zip(page.tables.get(f"rules.{name}", []), score.get("rules", [])):
            near(number(row["fired_share"]), 100 * rule["fired_share"], 1, f"rules.{name} fired")
        if len(page.tables.get(f"rules.{name}", [])) != len(score.get("rules", [])):
            errors.append(f"backtest rules.{name}: rows differ from the JSON's rules")
    if "a suggestion" not in "".join(page.text):
        errors.append("backtest: the page does not say the weights are a suggestion")
    return errors


def check_diff(persona, src, work, chromium):
    """persona diff --format html: the same renderer; every table and
    histogram equals diff's own JSON (--format json), the most changed
    profiles carry their reasons, and no pii value is in the page."""
    errors = []
    old = os.path.join(src, "examples", "b2b_lead.persona")
    text = open(old, encoding="utf-8").read()
    changed = (text.replace("employees >= 500", "employees >= 300").replace("1[3-9][0-9]{9}", "1[3-8][0-9]{9}")
               .replace("+5  when procurement", "+5  when procurement or len(phone ?? \"\") > 11"))
    new = os.path.join(work, "diff_new.persona")
    open(new, "w", encoding="utf-8").write(changed)
    profiles = os.path.join(src, "examples", "profiles.jsonl")
    args = [persona, "diff", old, new, profiles, "--now", "2026-02-01T00:00:00Z", "--top", "5"]
    html = os.path.join(work, "diff.html")
    with open(html, "w") as fh:
        subprocess.run(args + ["--format", "html"], stdout=fh)
    data = json.loads(subprocess.run(args + ["--format", "json"], capture_output=True, text=True).stdout)
    url = "file://" + os.path.abspath(html)
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    if dom.returncode != 0 or "</html>" not in dom.stdout:
        return [f"diff: chromium --dump-dom failed ({dom.returncode})"]
    for line in dom.stderr.splitlines():
        if ":CONSOLE" in line or "Uncaught" in line or "Not allowed to load" in line:
            errors.append(f"diff page console: {line}")
    page = Page()
    page.feed(dom.stdout)
    errors += [f"the diff page refers to something outside it: {e}" for e in page.external]

    def same(what, got, want):
        if got != want:
            errors.append(f"diff {what}: page {got}, JSON {want}")

    same("tags", [tuple(number(r[k]) for k in ("old", "new", "gained", "lost")) for r in page.tables.get("tags", [])],
         [(t["old"], t["new"], t["gained"], t["lost"]) for t in data["tags"]])
    for l in data["lifecycles"]:
        rows = page.tables.get("matrix." + l["name"], [])
        same(f"matrix.{l['name']}", [[number(r["to_" + s]) for s in l["stages"]] for r in rows], l["matrix"])
    rows = page.tables.get("scores", [])
    same("scores changed", [number(r["changed"]) for r in rows], [s["changed"] for s in data["scores"]])
    for r, s in zip(rows, data["scores"]):
        for k in ("mean", "p10", "p50", "p90", "min", "max"):
            if abs(number(r[k]) - s[k]) > 0.5e-4 + 1e-9:
                errors.append(f"diff score {s['name']} {k}: page {r[k]}, JSON {s[k]}")
        if s["changed"]:
            same(f"histogram.{s['name']}", [number(v) for _, v, _, _ in page.charts.get("histogram." + s["name"], [])],
                 s["histogram"])
    same("journeys", len(page.tables.get("journeys", [])), len(data["journeys"]))
    same("most changed", [number(r["line"]) for r in page.tables.get("most_changed", [])],
         [c["line"] for c in data["most_changed"]])
    page_text = "".join(page.text)
    for c in data["most_changed"]:
        for why in c["why"] or []:
            if why not in page_text:
                errors.append(f"diff: the reason {why!r} is not in the page")
    if not any(c["why"] for c in data["most_changed"]):
        errors.append("diff: no most changed profile has a reason")
    for line in open(profiles, encoding="utf-8"):
        phone = json.loads(line).get("phone")
        if phone and phone in dom.stdout:
            errors.append(f"diff: the page holds a phone number (pii) of line {line[:20]}")
            break
    shot = os.path.join(work, "diff.png")
    subprocess.run([chromium, *CHROMIUM_FLAGS, "--window-size=1200,3000", "--screenshot=" + shot, url],
                   capture_output=True, timeout=120)
    if not os.path.exists(shot):
        errors.append("diff: no screenshot written")
    return errors


def main():
    persona, src, work = sys.argv[1:4]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("skipped: chromium is not installed (bash scripts/deps.sh chromium fonts-noto-cjk)")
        return SKIP
    os.makedirs(work, exist_ok=True)
    model = os.path.join(src, "examples", "b2b_journeys.persona")
    profiles = os.path.join(src, "examples", "profiles.jsonl")
    state = os.path.join(work, "state.jsonl")
    if os.path.exists(state):
        os.remove(state)
    for now in RUNS:
        subprocess.run([persona, "eval", model, profiles, "--now", now, "--state", state, "-o", os.devnull],
                       check=True)
    html = os.path.join(work, "report.html")
    subprocess.run([persona, "report", model, profiles, "--now", NOW, "--state", state, "-o", html], check=True)
    data = json.loads(subprocess.run([persona, "report", model, profiles, "--now", NOW, "--state", state,
                                      "--format", "json"], check=True, capture_output=True, text=True).stdout)
    errors = []
    url = "file://" + os.path.abspath(html)
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, "--dump-dom", url], capture_output=True, text=True,
                         timeout=120)
    if dom.returncode != 0 or "</html>" not in dom.stdout:
        errors.append(f"chromium --dump-dom failed ({dom.returncode}): {dom.stderr[-2000:]}")
    for line in dom.stderr.splitlines():
        if ":CONSOLE" in line or "Uncaught" in line or "ERR_FILE_NOT_FOUND" in line or "Not allowed to load" in line:
            errors.append(f"console: {line}")

    page = Page()
    page.feed(dom.stdout)
    errors += [f"the page refers to something outside it: {e}" for e in page.external]
    text = "".join(page.text)
    n_tables = n_charts = 0
    for section in data["sections"]:
        for b in section["blocks"]:
            if b["type"] == "table" and b["rows"]:
                n_tables += 1
                want = [{c["key"]: number(r[c["key"]]) for c in b["columns"]
                         if not isinstance(r[c["key"]], str)} for r in b["rows"]]
                got = [{k: number(v) for k, v in row.items()} for row in page.tables.get(b["id"], [])]
                if got != want:
                    errors.append(f"table {b['id']}: page {got}, JSON {want}")
            elif b["type"] == "chart" and b["points"]:
                n_charts += 1
                bars = page.charts.get(b["id"], [])
                want = [(p["label"], number(p["value"])) for p in b["points"]]
                if [(l, number(v)) for l, v, _, _ in bars] != want:
                    errors.append(f"chart {b['id']}: page {bars}, JSON {want}")
                if any(p["value"] > 0 for p in b["points"]) and not any(w > 0 and h > 0 for _, _, w, h in bars):
                    errors.append(f"chart {b['id']}: no bar drawn")
            elif b["type"] == "figures":
                for item in b["items"]:
                    if str(item["value"]) not in text:
                        errors.append(f"figure {item['key']}: {item['value']} not in the page")
    if n_tables < 5 or n_charts < 5:
        errors.append(f"too few tables ({n_tables}) or charts ({n_charts}) compared")
    for label in ("大型企业", "智能制造目标客户"):
        if label not in text:
            errors.append(f"the label {label} is not in the page")
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    if not fonts.strip():
        errors.append("no CJK font installed: Chinese labels would be boxes (apt-get install fonts-noto-cjk)")

    shot = os.path.join(work, "report.png")
    if os.path.exists(shot):
        os.remove(shot)
    # Tall enough for the tags' Chinese labels.
    subprocess.run([chromium, *CHROMIUM_FLAGS, "--window-size=1200,3000", "--screenshot=" + shot, url],
                   capture_output=True, timeout=120)
    with open(shot, "rb") if os.path.exists(shot) else open(os.devnull, "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            errors.append("no screenshot written")

    errors += experiment_page(persona, src, work, chromium)
    errors += check_backtest(persona, src, work, chromium)
    errors += check_diff(persona, src, work, chromium)
    for e in errors:
        print(e)
    if not errors:
        print(f"ok: {n_tables} tables and {n_charts} charts in the page equal the JSON; screenshot {shot}")
    return 1 if errors else 0


def experiment_page(persona, src, work, chromium):
    """persona experiment's HTML page (the shared renderer) for the shipped
    experiment: loads without console messages or outside requests, and its
    arms table and rate chart hold the numbers of --format json."""
    errors = []
    model = os.path.join(src, "examples", "b2b_experiment.persona")
    profiles = os.path.join(src, "examples", "experiment_profiles.jsonl")
    state = os.path.join(work, "experiment-state.jsonl")
    if os.path.exists(state):
        os.remove(state)
    subprocess.run([persona, "eval", model, profiles, "--now", "2026-02-01T00:00:00Z", "--state", state,
                    "-o", os.devnull], check=True)
    args = [persona, "experiment", model, profiles, "--now", "2026-03-20T00:00:00Z", "--state", state]
    html = os.path.join(work, "experiment.html")
    subprocess.run(args + ["--format", "html", "-o", html], check=True)
    data = json.loads(subprocess.run(args + ["--format", "json"], check=True, capture_output=True,
                                     text=True).stdout)
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, "--dump-dom", "file://" + os.path.abspath(html)],
                         capture_output=True, text=True, timeout=120)
    if dom.returncode != 0 or "</html>" not in dom.stdout:
        return [f"experiment page: chromium --dump-dom failed ({dom.returncode})"]
    for line in dom.stderr.splitlines():
        if ":CONSOLE" in line or "Uncaught" in line or "Not allowed to load" in line:
            errors.append(f"experiment page console: {line}")
    page = Page()
    page.feed(dom.stdout)
    errors += [f"the experiment page refers to something outside it: {e}" for e in page.external]
    for x in data["experiments"]:
        rows = page.tables.get(x["name"] + "-arms", [])
        got = [(number(r.get("n")), number(r.get("conversions")), number(r.get("rate"))) for r in rows]
        want = [(a["n"], a["conversions"], round(a["rate"] * 100, 2)) for a in x["arms"]]
        if got != want:
            errors.append(f"experiment {x['name']}: page arms {got}, JSON {want}")
        bars = page.charts.get(x["name"] + "-rates", [])
        if [l for l, _, _, _ in bars] != [a["name"] for a in x["arms"]] or not all(w > 0 for _, _, w, _ in bars):
            errors.append(f"experiment {x['name']}: rate chart {bars}")
    if "内容实验" not in "".join(page.text):
        errors.append("the experiment's label 内容实验 is not in the page")
    return errors


if __name__ == "__main__":
    sys.exit(main())
