"""How fast the panel's GET routes answer on a built project: p50 and p95 per route, through a real Jupyter server.

    .venv/bin/python benchmarks/panel_bench.py [--project DIR] [--repeats 30] [--extension DIR]

--project   a built Shipshape project (default: copy the project files into a temporary folder and build them with
            `shipshape run`, a few minutes); it is served as it is: nothing is changed but file times
            (pipeline.yaml is touched for the cold measurements)
--extension put this checkout of `shipshape_lab` first on the server's Python path (e.g. an older commit's
            extension/ from a `git worktree`, to measure it the same way)

`GET /shipshape/pipeline` renders the Ploomber DAG to tell which tasks are outdated. The extension caches that
answer, keyed by a fingerprint of every file it depends on; the baseline, measured in the same run, is the cold
route: pipeline.yaml is touched before each request, so every answer renders the DAG again (what every request
cost before the cache). Figures only, no pass/fail: speed is not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "extension" / "scripts"))
from testproject import build, jupyter, make_project  # noqa: E402

ROUTES = [
    "context",
    "readiness",
    "readiness/answers",
    "pipeline",
    "pipeline/runs",
    "drift",
    "export",
    "registry/version?version=v0001",  # the first registered version's page
]


STATUS: dict[str, set] = {}  # the statuses each route answered (an older extension may answer errors)


def timed(server: dict, route: str) -> float:
    "Seconds for one authenticated GET of a /shipshape/ route; its status is noted in STATUS."
    req = urllib.request.Request(
        f"{server['url']}/shipshape/{route}", headers={"Authorization": f"token {server['token']}"}
    )
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            r.read()
            code = r.status
    except urllib.error.HTTPError as e:
        e.read()
        code = e.code
    STATUS.setdefault(route, set()).add(code)
    return time.perf_counter() - t0


def percentiles(xs: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(sorted(xs), n=20, method="inclusive")
    return statistics.median(xs), q[18]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", type=Path)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--cold-repeats", type=int, default=8)
    ap.add_argument("--extension", type=Path)
    a = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="shipshape-panel-bench-"))
    project = a.project.resolve() if a.project else build(make_project(work / "project"))
    env = (
        {"PYTHONPATH": os.pathsep.join([str(a.extension.resolve()), os.environ.get("PYTHONPATH", "")])}
        if a.extension
        else {}
    )
    rows = []
    with jupyter(project, work / "server", lab=False, env=env) as server:
        for route in ROUTES:
            for _ in range(2):  # warm: the first answers import and fill caches
                timed(server, route)
            xs = [timed(server, route) for _ in range(a.repeats)]
            rows.append((route, "warm", *percentiles(xs), len(xs)))
        cold = []
        for _ in range(a.cold_repeats):
            os.utime(project / "pipeline.yaml")  # a dependency changed: the status is computed again
            cold.append(timed(server, "pipeline"))
        rows.append(("pipeline", "cold", *percentiles(cold), len(cold)))
    print(
        f"GET /shipshape/<route> on {project} ({'extension ' + str(a.extension) if a.extension else 'this extension'})"
    )
    print(f"{'route':20} {'cache':6} {'p50 ms':>9} {'p95 ms':>9} {'n':>4}  status")
    for route, kind, p50, p95, n in rows:
        codes = ",".join(map(str, sorted(STATUS[route])))
        print(f"{route:20} {kind:6} {p50 * 1000:9.1f} {p95 * 1000:9.1f} {n:4d}  {codes}")
    warm = next(r for r in rows if r[:2] == ("pipeline", "warm"))
    cold = rows[-1]
    print(
        f"pipeline: cold / warm p50 = {cold[2] / warm[2]:.0f}x (the cold route is the baseline: one DAG render per request)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
