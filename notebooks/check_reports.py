"""Opens report pages in headless Chromium and checks what a reviewer sees: the page loads
without console messages (the reports have no script, so any message is an error), every
figure of the folder is in the rendered page as an inline SVG with drawn content, the tables
render, and a screenshot is taken.

usage: python3 notebooks/check_reports.py SHOTS_DIR REPORT_DIR...
  exit 1 when a page fails; screenshots are written to SHOTS_DIR/<report>.png"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

FIGURES = ["curve.svg", "dots.svg", "loss.svg", "case.svg"]


def chromium():
    for name in ["chromium", "chromium-browser", "google-chrome"]:
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check_reports: no chromium on PATH (Debian: apt-get install chromium)")


def run(args):
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
             "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr",
             "--v=0"] + args,
            capture_output=True, text=True, timeout=120)


def check(report, shots):
    page = os.path.abspath(os.path.join(report, "index.html"))
    name = os.path.basename(os.path.normpath(report))
    problems = []
    if not os.path.isfile(page):
        return [f"{page}: missing"]
    url = "file://" + page
    dom = run(["--dump-dom", url])
    console = [l for l in dom.stderr.splitlines() if "CONSOLE" in l]
    problems += [f"console: {l}" for l in console]
    html = dom.stdout
    figures = [f for f in FIGURES if os.path.isfile(os.path.join(report, f))]
    if not figures:
        problems.append("no figure file (curve.svg, dots.svg, loss.svg or case.svg) in the folder")
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    if len(svgs) < len(figures):
        problems.append(f"{len(svgs)} inline <svg> rendered for {len(figures)} figures ({', '.join(figures)})")
    for i, svg in enumerate(svgs):
        marks = len(re.findall(r"<(?:path|circle|rect|polyline|polygon|line|text)\b", svg))
        if marks < 5:
            problems.append(f"figure {i + 1} has only {marks} drawn elements")
    if "<table" not in html:
        problems.append("no table rendered")
    if "<h1>" not in html:
        problems.append("no title")
    shot = os.path.abspath(os.path.join(shots, f"{name}.png"))
    r = run([f"--screenshot={shot}", "--window-size=1100,1600", url])
    if not os.path.isfile(shot) or os.path.getsize(shot) < 10_000:
        problems.append(f"screenshot missing or blank ({r.stderr.strip()[-300:]})")
    return problems


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    shots = sys.argv[1]
    os.makedirs(shots, exist_ok=True)
    failed = 0
    for report in sys.argv[2:]:
        problems = check(report, shots)
        status = "ok" if not problems else "FAILED"
        print(f"{report}: {status}")
        for p in problems:
            print(f"  {p}")
        failed += bool(problems)
    print(f"{len(sys.argv) - 2 - failed} of {len(sys.argv) - 2} report pages ok; screenshots in {shots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
