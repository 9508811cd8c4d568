"""Where a newcomer's `make run` spends its time: install, extension build, each pipeline task, and a warm no-op run.

Two modes:

- `--clone` (the newcomer's path): `git clone` of this repository's HEAD into a temporary folder, then, there,
  `make .venv/.installed` (venv + pip install from requirements.lock; the pip cache is whatever this machine has),
  `make .venv/.extension-installed` (jlpm install + production build of the JupyterLab extension), `make run`
  (the cold build of the bundled data set) and `make run` again `--warm` times (nothing changed: the no-op).
- default (`--here`): this checkout's venv, a cold build into a fresh temporary products folder (the tests' way:
  `pipeline.build` with `products`, `registry` and `wandb.dir` overridden), then `--warm` no-op builds, each in a
  new Python process (interpreter start, imports and the up-to-date check, as `shipshape run` pays them).

Wall time and CPU time (user + system of every process the step started, papermill's kernels included) per step;
each task's time from the cold build's run record. Prints a Markdown table (the README's) and the goals of issue 19:
a warm no-op run in ≤ 3 s, the pipeline build in ≤ 3 min of CPU.

    nice -n 5 .venv/bin/python benchmarks/build_bench.py [--clone] [--warm 3] [--keep]
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = os.environ | {"PLOOMBER_STATS_ENABLED": "false", "GX_ANALYTICS_ENABLED": "false", "WANDB_MODE": "offline"}
ENV["SHIPSHAPE_ALSO_INSIDE"] = tempfile.gettempdir()  # --here: the products live under the temp folder (as the tests')


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, str]:
    "Run `cmd`; its wall seconds, the CPU seconds of it and every process it waited for, and its output's last line."
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env or ENV, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}) in {cwd}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    return wall, cpu, lines[-1] if lines else ""


def task_times(products: Path) -> list[tuple[str, float]]:
    "Each task's elapsed seconds in the latest run record that ran tasks."
    recs = [json.loads(p.read_text()) for p in products.glob("**/runs/run-*.json")]
    ran = [r for r in recs if any(t.get("ran") for t in r.get("tasks") or [])]
    last = max(ran, key=lambda r: r.get("finished_at") or "")
    return [(t["name"], t.get("elapsed_s") or 0.0) for t in last["tasks"]]


def build_here(tmp: Path, py: str) -> list[str]:
    over = {"products": str(tmp / "products"), "registry": {"path": str(tmp / "registry")}, "wandb": {"dir": str(tmp)}}
    code = (
        "import json, sys; from nbs_lib.pipeline import build; "
        f"r = build(json.loads({json.dumps(json.dumps(over))}), trigger='build_bench'); "
        "print(r['outcome'], 'ran', [t['name'] for t in r['tasks'] if t.get('ran')], 'unchanged since', r.get('unchanged_since')); "
        "sys.exit(r['outcome'] != 'ok')"
    )
    return [py, "-c", code]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clone", action="store_true", help="a fresh clone with its own venv (the newcomer's path)")
    ap.add_argument("--warm", type=int, default=3, help="no-op runs after the cold build (median reported)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="shipshape-build-"))
    steps = []
    try:
        if a.clone:
            work = tmp / "clone"
            subprocess.run(["git", "clone", "-q", str(ROOT), str(work)], check=True)
            steps.append(("install (venv + pip, requirements.lock)", *timed(["make", ".venv/.installed"], work)[:2]))
            steps.append(("extension (jlpm install + build)", *timed(["make", ".venv/.extension-installed"], work)[:2]))
            cold = ["make", "run"]
            products = work / "products"
        else:
            work, products = ROOT, tmp / "products"
            cold = build_here(tmp, str(ROOT / ".venv/bin/python"))
        wall, cpu, last = timed(cold, work)
        steps.append(("pipeline build, cold", wall, cpu))
        tasks = task_times(products)
        runs = [timed(cold, work) for _ in range(a.warm)]
        for i, (w, c, last) in enumerate(runs, 1):
            print(f"no-op run {i}: {w:.2f} s wall, {c:.2f} s CPU: {last}")
        warm = sorted(runs, key=lambda r: r[0])
        steps.append((f"no-op run, warm (median of {a.warm})", warm[len(warm) // 2][0], warm[len(warm) // 2][1]))
        print(f"\n{'fresh clone' if a.clone else 'this checkout'}; {os.cpu_count()} CPUs; last line: {warm[-1][2]}\n")
        print("| step | wall s | CPU s |\n|---|---|---|")
        for name, w, c in steps:
            print(f"| {name} | {w:.1f} | {c:.1f} |")
        print("\n| task (cold build) | s |\n|---|---|")
        for name, s in tasks:
            print(f"| {name} | {s:.1f} |")
        noop = warm[len(warm) // 2][0]
        build_cpu = next(c for n, _, c in steps if n.startswith("pipeline build"))
        print("\n| goal (issue 19) | measured | met |\n|---|---|---|")
        print(f"| warm no-op run ≤ 3 s | {noop:.2f} s | {'yes' if noop <= 3 else f'no ({noop / 3:.1f}× the goal)'} |")
        print(
            f"| pipeline build ≤ 3 min of CPU | {build_cpu / 60:.1f} min | "
            f"{'yes' if build_cpu <= 180 else f'no ({build_cpu / 180:.1f}× the goal)'} |"
        )
    finally:
        if a.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
