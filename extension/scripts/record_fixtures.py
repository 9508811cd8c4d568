"""Record the panel's jest fixtures from a real test build: what the `/shipshape/` routes answer.

    .venv/bin/python extension/scripts/record_fixtures.py [--work DIR] [--keep] [--only NAME ...]

1. copies the project files into DIR/lab/project with the test env and builds it with `shipshape run`
   (a few minutes; an existing build in DIR is reused);
2. starts a real `jupyter server` with the extension on DIR/lab, and through the routes: monitors a clean
   batch, then a drifted one (a drift alert: exit 1), and exports v0001 to ONNX on demand;
3. writes each GET answer to extension/src/__tests__/fixtures/<name>.json (`--only NAME`: those answers alone).

The only change to what the server answered: the temporary folder DIR/lab is written as /srv/lab, so the fixtures
do not change with the folder they were recorded in. See extension/src/__tests__/fixtures/README.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from testproject import build, jupyter, make_project, request, shipshape, wait_for

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "__tests__" / "fixtures"
ROUTES = {
    "context": "context",
    "readiness": "readiness",
    "answers": "readiness/answers",
    "pipeline": "pipeline",
    "drift": "drift",
    "export": "export",
    "version": "registry/version?version=v0001",
}
SERVED_AS = "/srv/lab"


def simulate(project: Path, *args: str) -> None:
    "A day of simulated batches in the inbox, marked complete (`.ready`) so the monitoring job takes them at once."
    shipshape(project, "simulate", "--days", "1", *args, timeout=300)
    for f in (project / "data" / "incoming").glob("*.csv"):
        f.with_name(f.name + ".ready").touch()


def monitor(server: dict, batch: str = "data/incoming") -> dict:
    code, reply = request(server, "drift/run", {"batch": batch})
    if code != 202:
        raise AssertionError(f"drift/run: {code} {reply}")
    return wait_for(server, "drift", lambda s: s["job"] is None)["last_job"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, help="where the project is built (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--only", nargs="+", choices=sorted(ROUTES), help="write only these answers (default: all)")
    a = ap.parse_args(argv)
    work = a.work or Path(tempfile.mkdtemp(prefix="shipshape-fixtures-"))
    lab = (work / "lab").resolve()
    project = lab / "project"
    if not (project / "products" / "uci-adult" / "readiness" / "scorecard.json").exists():
        build(make_project(project))
    try:
        with jupyter(lab, work / "server", lab=False, env={"SHIPSHAPE_ROOT": str(project)}) as server:
            simulate(project, "--start", "2026-10-01")
            clean = monitor(server)
            simulate(project, "--start", "2026-09-01", "--drift-from", "0")
            drifted = monitor(server)
            print(
                f"monitoring: clean batch {clean['outcome']}, drifted batch {drifted['outcome']} ({drifted['summary']})"
            )
            if (clean["outcome"], drifted["outcome"]) != ("ok", "alert"):
                raise AssertionError(f"expected a clean batch, then a drift alert: {clean}, {drifted}")
            code, reply = request(server, "export/run", {"target": "onnx-fp32", "version": "v0001"})
            if code != 202:
                raise AssertionError(f"export/run: {code} {reply}")
            done = wait_for(server, "export", lambda s: s["job"] is None)["last_job"]
            print(f"on-demand export of v0001 to onnx-fp32: {done['outcome']}")
            OUT.mkdir(parents=True, exist_ok=True)
            for name, route in ROUTES.items() if not a.only else ((n, ROUTES[n]) for n in a.only):
                code, answer = request(server, route)
                if code != 200:
                    raise AssertionError(f"GET {route}: {code} {answer}")
                text = json.dumps(answer, indent=1, sort_keys=True).replace(str(lab), SERVED_AS)
                (OUT / f"{name}.json").write_text(text + "\n")
                print(f"wrote {OUT / f'{name}.json'} ({len(text)} characters)")
    finally:
        if not a.keep and not a.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
