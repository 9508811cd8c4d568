"""Drift detection benchmark: Shipshape (`nbs_lib.drift`) against a plain per-column scipy loop and Evidently.

Planted-drift data: 20 numeric and 5 categorical columns. Eight columns drift in known ways (mean shift, variance
change, shape change, tail contamination, category-proportion change); the other seventeen are drawn from the same
distribution in reference and current. Reference and current have N rows each.

For each method the script prints the detection time, the peak memory above the loaded data (resident memory,
sampled every 5 ms in the worker process after freed heap is handed back with `malloc_trim`), and the true- and
false-positive rates on the planted columns:

- `shipshape`: `detect_drift` against the stored profile (built once by `profile_reference`, written to JSON and
  read back; building it is timed separately and is not part of the detection time);
- `scipy-loop`: a plain loop over the columns on the raw data: `scipy.stats.ks_2samp` for numeric columns,
  `chi2_contingency` for categorical ones, drift when p < 0.05;
- `evidently`: `Report([DataDriftPreset()])` with its defaults, run by the interpreter of a separate virtual
  environment (Evidently is not a project dependency).

Each method runs in its own process on the same data (regenerated from the same seed).

Usage (from the project root):

    python3 -m venv benchmarks/.venv-evidently
    benchmarks/.venv-evidently/bin/pip install evidently "pandas<3"     # Evidently 0.7 does not import with pandas 3
    .venv/bin/python benchmarks/drift_bench.py --n 100000
    .venv/bin/python benchmarks/drift_bench.py --n 1000000
    .venv/bin/python benchmarks/drift_bench.py --n 100000 --skip-evidently   # without the Evidently environment

`--json FILE` also writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EVIDENTLY_PY = HERE / ".venv-evidently/bin/python"


# ---------------------------------------------------------------- data
def make_data(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    "Reference and current frames of `n` rows, and the truth: column -> drifted?"
    g = np.random.default_rng(seed)

    def num(cur: bool) -> dict:
        h = np.random.default_rng(g.integers(1 << 31))

        def z():
            return h.normal(size=n)

        def age(shift=0):
            return np.clip(np.round(h.normal(40 + shift, 13, n)), 17, 90)

        cols = {
            # --- clean: the same distribution in reference and current
            "n_normal": z(),
            "n_normal_scaled": 50 + 10 * z(),
            "n_lognormal": h.lognormal(0, 1, n),
            "n_exponential": h.exponential(1, n),
            "n_uniform": h.uniform(-1, 1, n),
            "n_t3": h.standard_t(3, n),
            "n_pareto": h.pareto(1.5, n),
            "n_zero_inflated": np.where(h.random(n) < 0.9, 0.0, np.round(h.lognormal(8, 1, n))),
            "n_poisson": h.poisson(3, n).astype(float),
            "n_age": age(),
            "n_bimodal": np.where(h.random(n) < 0.5, -2, 2) + z(),
            "n_beta": h.beta(2, 5, n),
            "n_gamma": h.gamma(2, 2, n),
            "n_income": h.lognormal(10, 0.8, n),
            # --- drifted in the current data
            "d_mean_shift": z() + (0.2 if cur else 0.0),  # +0.2 standard deviations
            "d_mean_shift_int": age(3 if cur else 0),  # integer ages, +3 years
            "d_variance": z() * (1.3 if cur else 1.0),  # standard deviation ×1.3
            "d_shape": (h.gamma(2, 1, n) - 2) / np.sqrt(2) if cur else z(),  # normal -> skewed, same mean and variance
            "d_tail": h.exponential(1, n),  # 2 % replaced by values 10-20x the mean
            "d_heavy_tail": h.pareto(2, n),  # heavy-tailed; 2 % replaced far out
        }
        if cur:
            k = int(0.02 * n)
            cols["d_tail"][:k] = h.uniform(10, 20, k)
            cols["d_heavy_tail"][:k] = h.uniform(50, 500, k)
        return cols

    def cat(cur: bool) -> dict:
        h = np.random.default_rng(g.integers(1 << 31))
        zipf = np.arange(1, 21) ** -1.0
        zipf /= zipf.sum()
        swapped = zipf.copy()
        swapped[[0, 3]] = swapped[[3, 0]]
        five = [0.30, 0.25, 0.20, 0.15, 0.10]
        return {
            "c_five": h.choice(list("ABCDE"), n, p=five),
            "c_twenty": h.choice([f"k{i:02d}" for i in range(20)], n, p=zipf),
            "c_binary": h.choice(["yes", "no"], n, p=[0.7, 0.3]),
            "d_cat_small_shift": h.choice(
                list("ABCDE"), n, p=[0.36, 0.23, 0.18, 0.14, 0.09] if cur else five
            ),  # top share +6 points
            "d_cat_swap": h.choice([f"k{i:02d}" for i in range(20)], n, p=swapped if cur else zipf),  # two shares swap
        }

    ref = pd.DataFrame({**num(False), **cat(False)})
    cur = pd.DataFrame({**num(True), **cat(True)})
    truth = {c: c.startswith("d_") for c in ref.columns}
    return ref, cur, truth


# ---------------------------------------------------------------- measuring
class PeakRSS:
    "Peak resident memory of this process while the block runs, sampled every 5 ms (bytes above the start)."

    def __enter__(self):
        import ctypes
        import gc

        gc.collect()
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)  # hand freed heap back, so reused memory counts as new use
        except OSError:
            pass
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.start = self.peak = self._rss()
        self.on = True
        self.t = threading.Thread(target=self._poll, daemon=True)
        self.t.start()
        return self

    def _rss(self) -> int:
        return int(Path("/proc/self/statm").read_text().split()[1]) * self.page

    def _poll(self):
        while self.on:
            self.peak = max(self.peak, self._rss())
            time.sleep(0.005)

    def __exit__(self, *a):
        self.on = False
        self.t.join()
        self.peak = max(self.peak, self._rss())

    @property
    def mb(self) -> float:
        return (self.peak - self.start) / 2**20


def run_shipshape(ref, cur) -> dict:
    sys.path.insert(0, str(ROOT))
    import tempfile

    from nbs_lib.drift import detect_drift, load_profile, profile_reference, save_profile

    t = time.perf_counter()
    prof = profile_reference(ref)
    t_prof = time.perf_counter() - t
    path = Path(tempfile.mkdtemp()) / "profile.json"
    save_profile(prof, path)
    prof = load_profile(path)
    detect_drift(prof, cur.head(1000))  # warm-up (imports, scipy tables)
    times, peak = [], 0.0
    for _ in range(3):
        with PeakRSS() as mem:
            t = time.perf_counter()
            rep = detect_drift(prof, cur)
            times.append(time.perf_counter() - t)
        peak = max(peak, mem.mb)
    return {
        "time_s": float(np.median(times)),
        "times_s": times,
        "profile_s": t_prof,
        "profile_bytes": path.stat().st_size,
        "peak_mb": peak,
        "flagged": rep.drifted_columns,
        "deciding": {c: e["method"] for c, e in rep.columns.items() if e["drifted"]},
    }


def run_scipy(ref, cur) -> dict:
    from scipy import stats

    with PeakRSS() as mem:
        t = time.perf_counter()
        flagged = []
        for c in ref.columns:
            if pd.api.types.is_numeric_dtype(ref[c]):
                p = stats.ks_2samp(ref[c].to_numpy(), cur[c].to_numpy()).pvalue
            else:
                tab = pd.concat([ref[c].value_counts(), cur[c].value_counts()], axis=1).fillna(0).to_numpy().T
                p = stats.chi2_contingency(tab)[1]
            if p < 0.05:
                flagged.append(c)
        dt = time.perf_counter() - t
    return {"time_s": dt, "peak_mb": mem.mb, "flagged": flagged}


def run_evidently(ref, cur) -> dict:
    import evidently
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    num = [c for c in ref.columns if pd.api.types.is_numeric_dtype(ref[c])]
    dd = DataDefinition(numerical_columns=num, categorical_columns=[c for c in ref.columns if c not in num])
    with PeakRSS() as mem:
        t = time.perf_counter()
        snap = Report([DataDriftPreset()]).run(
            Dataset.from_pandas(cur, data_definition=dd), Dataset.from_pandas(ref, data_definition=dd)
        )
        res = snap.dict()
        dt = time.perf_counter() - t
    flagged, methods = [], {}
    for m in res["metrics"]:
        cfg = m.get("config", {})
        if cfg.get("type", "").endswith("ValueDrift"):
            method, thr, v = cfg["method"], cfg["threshold"], m["value"]
            methods[cfg["column"]] = method
            if (v < thr) if "p_value" in method else (v >= thr):
                flagged.append(cfg["column"])
    return {
        "time_s": dt,
        "peak_mb": mem.mb,
        "flagged": flagged,
        "version": evidently.__version__,
        "methods": sorted(set(methods.values())),
    }


def worker(method: str, n: int, seed: int) -> None:
    ref, cur, _ = make_data(n, seed)
    out = {"shipshape": run_shipshape, "scipy-loop": run_scipy, "evidently": run_evidently}[method](ref, cur)
    print("RESULT " + json.dumps(out))


# ---------------------------------------------------------------- driver
def rates(flagged, truth) -> tuple[float, float]:
    pos = [c for c, d in truth.items() if d]
    neg = [c for c, d in truth.items() if not d]
    return sum(c in flagged for c in pos) / len(pos), sum(c in flagged for c in neg) / len(neg)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-evidently", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        worker(a.worker, a.n, a.seed)
        return 0
    _, _, truth = make_data(10, a.seed)
    methods = [("shipshape", sys.executable), ("scipy-loop", sys.executable)]
    if not a.skip_evidently:
        if EVIDENTLY_PY.exists():
            methods.append(("evidently", str(EVIDENTLY_PY)))
        else:
            print(f"Evidently environment not found at {EVIDENTLY_PY}: reporting without it (see the usage notes)")
    print(
        f"N = {a.n:,} rows per frame; {len(truth)} columns, {sum(truth.values())} with planted drift; "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )
    res = {}
    for name, py in methods:
        print(f"  running {name} ...", flush=True)
        p = subprocess.run(
            [py, __file__, "--worker", name, "--n", str(a.n), "--seed", str(a.seed)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
        if p.returncode or not line:
            print(f"  {name} failed (exit {p.returncode}):\n{p.stderr[-2000:]}")
            continue
        r = json.loads(line[-1][7:])
        r["tpr"], r["fpr"] = rates(r["flagged"], truth)
        res[name] = r
    ev = res.get("evidently")
    print(f"\n{'method':<12} {'time (s)':>10} {'peak MB':>9} {'TPR':>6} {'FPR':>6} {'time vs Evidently':>18}")
    for name, r in res.items():
        ratio = f"{r['time_s'] / ev['time_s']:.2%}" if ev else "n/a"
        print(f"{name:<12} {r['time_s']:>10.3f} {r['peak_mb']:>9.0f} {r['tpr']:>6.2f} {r['fpr']:>6.2f} {ratio:>18}")
    if "shipshape" in res:
        s = res["shipshape"]
        print(
            f"\nshipshape: profile built in {s['profile_s']:.2f} s (once, at training time), {s['profile_bytes'] / 1024:.0f} KiB of JSON; "
            f"detection runs {', '.join(f'{t:.3f}' for t in s['times_s'])} s"
        )
    for name, r in res.items():
        pos = [c for c, d in truth.items() if d]
        print(
            f"{name}: missed {[c for c in pos if c not in r['flagged']] or 'none'}; "
            f"false alarms {[c for c in r['flagged'] if not truth[c]] or 'none'}"
        )
    if ev:
        print(f"evidently {ev['version']} methods: {', '.join(ev['methods'])}")
    if a.json:
        Path(a.json).write_text(json.dumps({"n": a.n, "seed": a.seed, "results": res}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
