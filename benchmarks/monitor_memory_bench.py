"""Benchmark: peak memory of the monitoring job on a large batch (issue 20, item 11), against a plain `pd.read_csv`
of the same file measured in the same run.

    .venv/bin/python benchmarks/monitor_memory_bench.py [--rows 1900000] [--dir /tmp] [--keep] [--skip-drift]

Builds a batch of `--rows` rows of Adult-like text (rows of `data/raw/adult.data` drawn with replacement, 1 % of them
damaged so the quarantine is exercised; 1.9M rows ≈ 200 MB), then measures, each in a fresh process after the
libraries are imported and warmed up on a small file:

- `read_csv`: `pd.read_csv(path, dtype=str)`, the baseline;
- `intake`: the monitoring job's intake of the file (`ledger.process_file`: sha256, chunked parse, validation, valid
  and quarantine files);
- `drift`: the drift check of its valid rows (`driftjob.read_batches` + `monitor_batch`) against a reference profile and
  a small logistic-regression model exported to ONNX (what the drift notebook does).

Prints figures, not verdicts: peak resident memory growth (sampled every 10 ms and from the kernel's high-water mark),
that growth divided by the file size, and the ratio to the baseline. The goal (issue 20) is ≤ 4× the file's size.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def build_batch(path: Path, rows: int, seed: int = 0, damaged: float = 0.01) -> int:
    "Write `rows` rows of Adult-like text with a header row (drawn from adult.data, `damaged` of them with a bad age); the file's size."
    from nbs_lib.config import load_env

    env = load_env(root=ROOT)
    names = env["dataset"]["format"]["names"]
    lines = np.array(
        [ln for ln in (ROOT / env["dataset"]["train"]).read_text().splitlines() if ln.count(",") == len(names) - 1],
        dtype=object,
    )
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for start in range(0, rows, 200_000):
            block = lines[rng.integers(0, len(lines), min(200_000, rows - start))]
            bad = rng.random(len(block)) < damaged  # a damaged age: not a number
            block[bad] = ["forty" + ln[ln.index(",") :] for ln in block[bad]]
            f.write("\n".join(block) + "\n")
    return path.stat().st_size


def _rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _hwm() -> int:
    for ln in Path("/proc/self/status").read_text().splitlines():
        if ln.startswith("VmHWM:"):
            return int(ln.split()[1]) * 1024
    return 0


def peak_growth(fn) -> tuple[int, float]:
    "Peak resident memory above the level before `fn` (the larger of 10 ms sampling and the kernel's high-water mark), and seconds."
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark to the current level
    except OSError:
        pass
    base = _rss()
    hwm0 = _hwm()
    peak = base
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.wait(0.01):
            peak = max(peak, _rss())

    th = threading.Thread(target=sample)
    th.start()
    t = time.perf_counter()
    try:
        fn()
    finally:
        done.set()
        th.join()
    hwm = _hwm() if _hwm() > hwm0 else 0
    return max(peak, hwm, _rss()) - base, time.perf_counter() - t


def child(kind: str, path: Path, work: Path) -> dict:
    "One measurement in this (fresh) process."
    import pandas as pd

    from nbs_lib.config import load_env

    env = load_env(root=ROOT)
    small = work / "small.csv"
    if kind == "read_csv":
        pd.read_csv(small, dtype=str)
        return dict(zip(("growth", "seconds"), peak_growth(lambda: pd.read_csv(path, dtype=str))))
    from nbs_lib.validate import load_contract

    contract = load_contract(env, ROOT)[0]
    th = {k: env["validation"][k] for k in ("warn_rate", "fail_rate")}
    na = env["dataset"]["format"].get("na_values") or []
    if kind == "intake":
        try:
            from nbs_lib.ledger import process_file

            def run(p, out):
                return process_file(p, contract, out, th, na_values=na)
        except ImportError:  # the code before the chunked reader (commit 4827877)
            from nbs_lib.monitor import process_file

            def run(p, out):
                return process_file(p, contract, out, th)

        run(small, work / "warm")
        box = {}
        g, s = peak_growth(lambda: box.update(run(path, work / "products")))
        return {
            "growth": g,
            "seconds": s,
            "rows_in": box["rows_in"],
            "rows_quarantined": box["rows_quarantined"],
            "valid_path": box["valid_path"],
        }
    from nbs_lib.driftjob import monitor_batch, read_batches

    try:
        from nbs_lib.driftjob import needed_columns
    except ImportError:

        def needed_columns(*a):
            return None  # the code before: every column

    from nbs_lib.drift import load_profile

    valid = Path(json.loads((work / "intake.json").read_text())["valid_path"])
    profile, mdir = load_profile(work / "model" / "profile.json"), work / "model"
    ds = env["dataset"]
    monitor_batch(
        read_batches([work / "small-clean.csv"], na_values=na),
        profile,
        mdir,
        None,
        env.get("drift"),
        ds["target"],
        str(ds["positive_label"]),
    )
    cols = needed_columns(profile, mdir, ds["target"])
    g, s = peak_growth(
        lambda: monitor_batch(
            read_batches([valid], **({"columns": cols} if cols else {})),
            profile,
            mdir,
            None,
            env.get("drift"),
            ds["target"],
            str(ds["positive_label"]),
        )
    )
    return {"growth": g, "seconds": s}


def small_model(work: Path) -> None:
    "A reference profile with scores and a logistic regression exported to ONNX, from a sample of adult.data."
    import torch

    from nbs_lib.config import load_env
    from nbs_lib.data import encode_labels, feature_columns, load_split, profile_types
    from nbs_lib.drift import profile_reference, save_profile
    from nbs_lib.export import export_onnx
    from nbs_lib.features import fit_transform_spec, save_spec, transform
    from nbs_lib.runtime import onnx_predict, onnx_session
    from nbs_lib.train import fit_baseline

    env = load_env(root=ROOT)
    ds = env["dataset"]
    rows, _ = load_split(env, "train", ROOT)
    rows = rows.sample(8000, random_state=0)
    f = feature_columns(env, rows.columns)
    spec = fit_transform_spec(rows, profile_types(rows, f))
    X = transform(spec, rows)
    torch.manual_seed(0)
    model = fit_baseline(X, encode_labels(rows[ds["target"]], ds["positive_label"]), max_iter=200)
    d = work / "model"
    d.mkdir(exist_ok=True)
    export_onnx(model, X.shape[1], d / "model.onnx")
    save_spec(spec, d / "transform.json")
    p = onnx_predict(onnx_session(d / "model.onnx"), X)
    save_profile(profile_reference(rows[f], predictions=p), d / "profile.json")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_900_000)
    ap.add_argument("--dir")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--skip-drift", action="store_true")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child[0], Path(a.child[1]), Path(a.child[2]))))
        return
    work = Path(tempfile.mkdtemp(prefix="monitor-bench-", dir=a.dir))
    try:
        path = work / "batch.csv"
        size = build_batch(path, a.rows)
        build_batch(work / "small.csv", 2000, seed=1)
        build_batch(work / "small-clean.csv", 2000, seed=2, damaged=0)
        print(f"batch: {a.rows:,} rows, {size / 2**20:,.1f} MiB ({path})")
        kinds = ["read_csv", "intake"] + ([] if a.skip_drift else ["drift"])
        if not a.skip_drift:
            small_model(work)
        base = None
        for k in kinds:
            r = subprocess.run(
                [sys.executable, __file__, "--child", k, str(path), str(work)], capture_output=True, text=True, cwd=ROOT
            )
            if r.returncode:
                print(f"{k}: FAILED\n{r.stderr[-3000:]}")
                return 1
            r = json.loads(r.stdout.strip().splitlines()[-1])
            base = base or r["growth"]
            if k == "intake":
                (work / "intake.json").write_text(json.dumps(r))
            extra = f"  rows {r['rows_in']:,} ({r['rows_quarantined']:,} quarantined)" if "rows_in" in r else ""
            print(
                f"{k:9}: peak memory +{r['growth'] / 2**20:8,.0f} MiB = {r['growth'] / size:5.2f}x the file  "
                f"({r['growth'] / base:5.2f}x read_csv)  {r['seconds']:6.1f} s{extra}",
                flush=True,
            )
        print(f"goal: peak memory <= 4x the file's size ({4 * size / 2**20:,.0f} MiB)")
    finally:
        if not a.keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    sys.exit(main())
