"""How fast each dashboard view renders once its data arrived: p50 and p95 per view in headless Chromium, against the
goal of 500 ms p95 (issue #13).

    .venv/bin/python benchmarks/render_bench.py [--project DIR] [--rounds 20] [--goal-ms 500]

--project   a built Shipshape project (default: copy the project files into a temporary folder and build them with
            `shipshape run`, a few minutes); it is served as it is, by a real `jupyter lab` with this extension
            (build it first: `cd extension && jlpm build`)
--rounds    how many times the four views are shown in turn; each switch loads the view's data again

The figures are the extension's own performance measures (View.show): `shipshape:render:<view>` from the newest GET
answer's arrival (`shipshape:data`, request.get) to the view's DOM replaced, and `shipshape:paint:<view>` to the
frame after it (style, layout and paint included): the goal is judged on the painted p95. The server's time is not
in them (benchmarks/panel_bench.py measures the routes); the time a whole switch took (tab click to rendered, the
route included) is printed beside them for scale. The Drift view is measured twice: as the project answers, and with
the real answer's batch timeline repeated to 20 batches (the timeline's limit: the widest feature trends). The first
round is a warm-up and is left out. Figures only, no pass/fail: speed is not a test. The load average is printed
because the figures move with it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "extension" / "scripts"))
from testproject import CHROMIUM, build, jupyter, lab_page, make_project  # noqa: E402

VIEWS = ["Readiness", "Drift", "Models", "Pipeline"]
MEASURES = """() => performance.getEntriesByType('measure')
  .filter(m => m.name.startsWith('shipshape:')).map(m => [m.name, m.startTime, m.duration])"""
DRIFT = re.compile(r".*/shipshape/drift(\?\d*)?$")  # JupyterLab adds a cache buster to each GET


def percentiles(xs: list[float]) -> tuple[float, float]:
    if len(xs) < 2:
        return (xs[0], xs[0]) if xs else (float("nan"), float("nan"))
    return statistics.median(xs), statistics.quantiles(sorted(xs), n=20, method="inclusive")[18]


def show(page, view: str) -> tuple[float, float | None, float | None]:
    "Click the view's tab, wait until it has loaded and rendered: (ms from the click, render ms, paint ms)."
    since = page.evaluate("() => performance.now()")
    t0 = time.perf_counter()
    page.click(f"#shipshape-dashboard .ss-tab:has-text('{view}')")
    page.wait_for_selector(f"#shipshape-dashboard .ss-tab-active:has-text('{view}')")
    page.wait_for_selector("#shipshape-dashboard .ss-body > .ss-view:not([aria-busy])")
    took = (time.perf_counter() - t0) * 1000
    got: dict[str, float] = {}
    for _ in range(50):  # the paint measure comes a frame later
        got = {
            n.split(":")[1]: d for n, start, d in page.evaluate(MEASURES) if start >= since and n.endswith(view.lower())
        }
        if "paint" in got:
            break
        page.wait_for_timeout(20)
    return took, got.get("render"), got.get("paint")


def twenty(route) -> None:
    "The real drift answer with its batch timeline repeated to 20 batches (the timeline's limit)."
    answer = route.fetch().json()
    real = answer["timeline"] or [{}]
    answer["timeline"] = [r | {"batch": f"{i:02d}-{r.get('batch')}"} for i, r in enumerate((real * 20)[:20])]
    route.fulfill(json=answer)


def measure(project: Path, work: Path, rounds: int) -> dict[str, dict[str, list[float]]]:
    "Per view: the render, paint and switch times of each round, the warm-up round left out."
    from playwright.sync_api import sync_playwright

    out: dict[str, dict[str, list[float]]] = {}

    def note(row: str, took: float, render: float | None, paint: float | None) -> None:
        o = out.setdefault(row, {"render": [], "paint": [], "switch": []})
        if render is not None and paint is not None:
            o["render"].append(render)
            o["paint"].append(paint)
            o["switch"].append(took)

    with jupyter(project, work / "lab") as server, sync_playwright() as pw:
        browser, page = lab_page(pw, server, timeout=120_000)
        page.locator(".jp-LauncherCard", has_text="Shipshape: open dashboard").click()
        page.locator("#shipshape-dashboard .ss-tab").first.wait_for()
        for r in range(rounds + 1):
            for v in VIEWS:
                took, render, paint = show(page, v)
                if r:  # round 0 warms up
                    note(v, took, render, paint)
        page.route(DRIFT, twenty)
        for r in range(rounds + 1):
            show(page, "Pipeline")
            took, render, paint = show(page, "Drift")
            if r:
                note("Drift, 20 batches", took, render, paint)
        browser.close()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", type=Path)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--goal-ms", type=float, default=500.0)
    a = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM}: apt-get install -y chromium, or set CHROMIUM")
    work = Path(tempfile.mkdtemp(prefix="shipshape-render-bench-"))
    project = a.project.resolve() if a.project else build(make_project(work / "project"))
    load0 = os.getloadavg()
    rows = measure(project, work, a.rounds)
    load1 = os.getloadavg()
    print(f"dashboard views in headless Chromium (1440x900), `jupyter lab` serving {project}; {a.rounds} rounds")
    print("render: data arrived -> DOM replaced; painted: -> the frame after it; switch: tab click -> rendered")
    print(f"{'view':18} {'n':>3} {'render p50':>10} {'p95':>6} {'painted p50':>11} {'p95':>6}  {'goal':>4}  verdict")
    for view, o in rows.items():
        r50, r95 = percentiles(o["render"])
        p50, p95 = percentiles(o["paint"])
        s50, _ = percentiles(o["switch"])
        verdict = "no measure" if not o["paint"] else "met" if p95 <= a.goal_ms else f"gap {p95 - a.goal_ms:.0f} ms"
        print(
            f"{view:18} {len(o['paint']):3d} {r50:10.1f} {r95:6.1f} {p50:11.1f} {p95:6.1f}  {a.goal_ms:4.0f}  {verdict}"
            f" (p95 painted = {p95 / a.goal_ms:.0%} of the goal; switch p50 {s50:.0f} ms, the route included)"
        )
    print(f"load average (1, 5, 15 min): before {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, ", end="")
    print(f"after {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f} on {os.cpu_count()} CPU(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
