"""Drift detection benchmark: Shipshape (`nbs_lib.drift`, profile-based) against a plain per-column scipy loop, a numpy
bandwidth probe (the floor: summing the same bytes) and, where its environment exists, Evidently.

Planted-drift data: 20 numeric and 5 categorical columns. Eight columns drift in known ways (mean shift, variance
change, shape change, tail contamination, category-proportion change); the other seventeen are drawn from the same
distribution in reference and current. A width of 250 repeats the 25 columns ten times (each block from its own
seed). Reference and current have N rows each.

Each size (`--sizes`, default 1M × 25, 1M × 250 and 10M × 25) is generated once, written to Arrow IPC files, and
every method runs in its own process on the same bytes:

- `shipshape`: `detect_drift` against the stored profile (built once by `profile_reference` on at most 1M reference
  rows, written to JSON and read back; building it is timed separately and is not part of the detection time), on the pandas frame as generated
  (numpy floats, Arrow-backed `str` text), on one thread (`workers=1`) and on two (`workers=2`, the default on a
  2-CPU machine for a batch this size), and on a pyarrow Table whose text columns are dictionary-encoded (as Parquet
  files hold them); the first call of the process (numba's import and its compiled kernel loaded from the on-disk
  cache, or compiled when there is none) is timed apart, as the warm-up;
- `scipy-loop`: a plain loop over the columns on the raw data: `scipy.stats.ks_2samp` for numeric columns,
  `chi2_contingency` for categorical ones, drift when p < 0.05;
- `probe`: numpy summing every buffer of the current batch (float arrays, Arrow string offsets and bytes), on one
  thread and on one thread per CPU: the time to read the input once, which no detector can beat;
- `evidently` (1M × 25 only): `Report([DataDriftPreset()])` with its defaults, run by the interpreter of a separate
  virtual environment (Evidently is not a project dependency).

The machine may be shared: the load average (1 minute) is printed with every method's run (taken just before it starts), so a slow figure can
be read against it. Times are medians of `--repeat` (3) runs in one process (the scipy loop: one run above 25M values). Peak memory is the
resident memory above the loaded data (sampled every 5 ms after freed heap is handed back with `malloc_trim`), against
the current batch's size in memory. The goals (issue 19): 1M × 25 in ≤ 50 ms, 1M × 250 in ≤ 0.5 s, peak memory growth
≤ 1.2× the input.

Usage (from the project root):

    nice -n 5 .venv/bin/python benchmarks/drift_bench.py                       # every size
    .venv/bin/python benchmarks/drift_bench.py --sizes 100000x25               # a quick look
    python3 -m venv benchmarks/.venv-evidently
    benchmarks/.venv-evidently/bin/pip install evidently "pandas<3"     # Evidently 0.7 does not import with pandas 3

`--json FILE` also writes the figures as JSON.

Last recorded anchor when Evidently's environment is absent: Evidently took 138 s on 1M × 25 (issue 19), printed as
"recorded" beside the measured figures, never as a measurement of this run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EVIDENTLY_PY = HERE / ".venv-evidently/bin/python"
PROFILE_ROWS = 1_000_000  # reference rows profiled (10M-row batches are compared with a 1M-row reference)


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


def make_wide(n: int, width: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    "`make_data` repeated `width // 25` times side by side, each block from its own seed (suffix `_b<i>`)."
    blocks = max(1, width // 25)
    if blocks == 1:
        return make_data(n, seed)
    refs, curs, truth = [], [], {}
    for b in range(blocks):
        r, c, t = make_data(n, seed + 1000 * b)
        refs.append(r.add_suffix(f"_b{b}"))
        curs.append(c.add_suffix(f"_b{b}"))
        truth.update({f"{k}_b{b}": v for k, v in t.items()})
    return pd.concat(refs, axis=1), pd.concat(curs, axis=1), truth


def median_time(f, repeat: int):
    "(median seconds, all runs, the last result)."
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), times, out


def input_bytes(cur: pd.DataFrame) -> int:
    return int(cur.memory_usage(deep=False, index=False).sum())


def run_shipshape(ref, cur, repeat: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from nbs_lib.drift import detect_drift, load_profile, profile_reference, save_profile

    t = time.perf_counter()
    prof = profile_reference(ref.head(PROFILE_ROWS))  # a training set's size; the profile's does not depend on it
    t_prof = time.perf_counter() - t
    del ref
    path = Path(tempfile.mkdtemp()) / "profile.json"
    save_profile(prof, path)
    prof = load_profile(path)
    t = time.perf_counter()
    detect_drift(prof, cur.head(60_000), workers=1)  # warm-up: imports, scipy tables, numba's kernel (≥ 50,000 values)
    first = time.perf_counter() - t
    times, peak = [], 0.0
    for _ in range(repeat):
        with PeakRSS() as mem:
            t = time.perf_counter()
            rep = detect_drift(prof, cur, workers=1)
            times.append(time.perf_counter() - t)
        peak = max(peak, mem.peak - mem.start)
    out = {
        "time_s": float(np.median(times)),
        "times_s": times,
        "profile_s": t_prof,
        "first_call_s": first,
        "profile_bytes": path.stat().st_size,
        "peak_bytes": peak,
        "input_bytes": input_bytes(cur),
        "flagged": rep.drifted_columns,
        "stats": {c: {k: t["statistic"] for k, t in e["tests"].items()} for c, e in rep.columns.items()},
    }
    try:  # two threads (older versions have no `workers`)
        with PeakRSS() as mem:
            out["two_threads_s"] = median_time(lambda: detect_drift(prof, cur, workers=2), repeat)[0]
        out["peak_bytes"] = max(peak, mem.peak - mem.start)
    except TypeError:
        out["two_threads_s"] = None
    text = [c for c in cur.columns if not pd.api.types.is_numeric_dtype(cur[c])]
    table = pa.Table.from_pandas(cur, preserve_index=False)
    for c in text:
        i = table.column_names.index(c)
        table = table.set_column(i, c, table.column(i).dictionary_encode())
    try:
        with PeakRSS() as mem:
            s, _, r = median_time(lambda: detect_drift(prof, table, workers=1), repeat)
        out["arrow_table_s"], out["arrow_same_flags"] = s, r.drifted_columns == rep.drifted_columns
        s2, _, r2 = median_time(lambda: detect_drift(prof, table, workers=2), repeat)
        out["arrow_two_threads_s"] = s2
        out["arrow_same_flags"] = out["arrow_same_flags"] and r2.drifted_columns == rep.drifted_columns
        out["arrow_peak_bytes"] = mem.peak - mem.start
        out["arrow_input_bytes"] = table.nbytes
    except ValueError as e:  # older versions take pandas only
        out["arrow_table_s"], out["arrow_error"] = None, str(e)
    return out


def _buffers(cur: pd.DataFrame) -> list[np.ndarray]:
    "Every byte of the current batch as numpy arrays (no copies): float columns, Arrow string offsets and data."
    out = []
    for c in cur.columns:
        s = cur[c]
        if pd.api.types.is_numeric_dtype(s):
            out.append(s.to_numpy())
            continue
        for chunk in pa.chunked_array(s.array.__arrow_array__()).chunks:
            for b in chunk.buffers():
                if b is not None and b.size >= 8:
                    out.append(np.frombuffer(b, dtype=np.int64, count=b.size // 8))
    return out


def run_probe(ref, cur, repeat: int) -> dict:
    "The floor: time to read the batch's bytes once (numpy sums), on one thread and on one per CPU."
    del ref
    bufs = _buffers(cur)
    nbytes = sum(b.nbytes for b in bufs)
    one = median_time(lambda: [b.sum() for b in bufs], max(repeat, 5))[0]
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        many = median_time(lambda: list(pool.map(np.sum, bufs)), max(repeat, 5))[0]
    return {
        "time_s": min(one, many),
        "one_thread_s": one,
        "threads_s": many,
        "bytes": nbytes,
        "input_bytes": input_bytes(cur),
    }


def run_scipy(ref, cur, repeat: int) -> dict:
    from scipy import stats

    def loop():
        flagged = []
        for c in ref.columns:
            if pd.api.types.is_numeric_dtype(ref[c]):
                p = stats.ks_2samp(ref[c].to_numpy(), cur[c].to_numpy()).pvalue
            else:
                tab = pd.concat([ref[c].value_counts(), cur[c].value_counts()], axis=1).fillna(0).to_numpy().T
                p = stats.chi2_contingency(tab)[1]
            if p < 0.05:
                flagged.append(c)
        return flagged

    reps = repeat if len(cur) * cur.shape[1] <= 25_000_000 else 1
    with PeakRSS() as mem:
        t, times, flagged = median_time(loop, reps)
    return {"time_s": t, "times_s": times, "peak_bytes": mem.peak - mem.start, "flagged": flagged}


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
        "peak_bytes": mem.peak - mem.start,
        "flagged": flagged,
        "version": evidently.__version__,
        "methods": sorted(set(methods.values())),
    }


def worker(method: str, data: str, n: int, seed: int, repeat: int) -> None:
    if method == "evidently":
        ref, cur, _ = make_data(n, seed)
        out = run_evidently(ref, cur)
    else:
        ref, cur = (
            feather.read_table(Path(data) / f"{k}.arrow").to_pandas(split_blocks=True, self_destruct=True)
            for k in ("ref", "cur")
        )
        out = {"shipshape": run_shipshape, "scipy-loop": run_scipy, "probe": run_probe}[method](ref, cur, repeat)
    print("RESULT " + json.dumps(out))


# ---------------------------------------------------------------- driver
GOALS = {(1_000_000, 25): 0.05, (1_000_000, 250): 0.5}  # seconds, issue 19
MAX_GROWTH = 1.2  # peak memory growth / input size
EVIDENTLY_SHARE = 0.0005  # 1M × 25: at most 0.05 % of Evidently's time
EVIDENTLY_RECORDED_S = 138.0  # Evidently on 1M × 25 as issue 19 records it (used only when its environment is absent)


def rates(flagged, truth) -> tuple[float, float]:
    pos = [c for c, d in truth.items() if d]
    neg = [c for c, d in truth.items() if not d]
    return sum(c in flagged for c in pos) / len(pos), sum(c in flagged for c in neg) / len(neg)


def run_size(n: int, width: int, a) -> dict:
    "Every method on one size; prints its lines and returns the figures."
    tmp = Path(tempfile.mkdtemp(prefix="drift_bench_"))
    try:
        t = time.perf_counter()
        ref, cur, truth = make_wide(n, width, a.seed)
        feather.write_feather(ref, tmp / "ref.arrow", compression="uncompressed")
        feather.write_feather(cur, tmp / "cur.arrow", compression="uncompressed")
        del ref, cur
        print(
            f"\n== {n:,} rows × {width} columns ({sum(truth.values())} with planted drift; generated in {time.perf_counter() - t:.0f} s)",
            flush=True,
        )
        methods = [("shipshape", sys.executable), ("probe", sys.executable), ("scipy-loop", sys.executable)]
        if (n, width) == (1_000_000, 25) and not a.skip_evidently and EVIDENTLY_PY.exists():
            methods.append(("evidently", str(EVIDENTLY_PY)))
        res = {}
        for name, py in methods:
            load = os.getloadavg()[0]  # before the run: the other jobs' load, not this one's
            p = subprocess.run(
                [
                    py,
                    __file__,
                    "--worker",
                    name,
                    "--data",
                    str(tmp),
                    "--n",
                    str(n),
                    "--seed",
                    str(a.seed),
                    "--repeat",
                    str(a.repeat),
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
            if p.returncode or not line:
                print(f"  {name} failed (exit {p.returncode}):\n{p.stderr[-2000:]}")
                continue
            r = json.loads(line[-1][7:])
            r["load"] = load
            if "flagged" in r:
                r["tpr"], r["fpr"] = rates(r["flagged"], truth)
            res[name] = r
        res["summary"] = report_size(n, width, res, truth)
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report_size(n: int, width: int, res: dict, truth: dict) -> list[tuple]:
    "Prints one size's table and goals; returns its rows for the closing summary: (size, variant, seconds, goal, verdict)."
    s, probe, sp, ev = (res.get(k) for k in ("shipshape", "probe", "scipy-loop", "evidently"))
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    anchor, anchor_kind = (ev["time_s"], "measured") if ev else (None, None)
    if not ev and (n, width) == (1_000_000, 25):
        anchor, anchor_kind = EVIDENTLY_RECORDED_S, "recorded (issue 19)"
    print(f"{'method':<36} {'time (s)':>9} {'× floor':>8} {'% of Evidently':>15} {'TPR':>5} {'FPR':>5} {'load':>5}")
    rows = []
    if s:
        rows += [
            ("shipshape, pandas, one thread", s["time_s"], s),
            ("shipshape, pandas, workers=2", s.get("two_threads_s"), s),
            ("shipshape, Arrow Table (dictionary)", s.get("arrow_table_s"), s),
            ("shipshape, Arrow Table, workers=2", s.get("arrow_two_threads_s"), s),
        ]
    if sp:
        rows.append(("scipy loop (ks_2samp, chi2)", sp["time_s"], sp))
    if ev:
        rows.append((f"evidently {ev['version']}", ev["time_s"], ev))
    elif anchor:
        rows.append(("evidently (recorded, not run here)", anchor, None))
    if probe:
        rows.append(("numpy probe: sum the same bytes", probe["time_s"], probe))
    for label, t, r in rows:
        ratio = f"{t / probe['time_s']:.1f}" if probe and t else "n/a"
        share = f"{t / anchor:.3%}" if anchor and t else ""
        tpr = f"{r['tpr']:.2f}" if r and "tpr" in r else ""
        fpr = f"{r['fpr']:.2f}" if r and "fpr" in r else ""
        load = f"{r['load']:.1f}" if r and "load" in r else ""
        print(f"{label:<36} {fmt(t):>9} {ratio:>8} {share:>15} {tpr:>5} {fpr:>5} {load:>5}")
    summary = []
    if not s:
        return summary
    growth = s["peak_bytes"] / s["input_bytes"]
    print(
        f"input {s['input_bytes'] / 2**20:.0f} MiB (pandas); peak memory growth during detection (one thread and workers=2) "
        f"{s['peak_bytes'] / 2**20:.0f} MiB = {growth:.2f}× the input (goal ≤ {MAX_GROWTH}×: {'met' if growth <= MAX_GROWTH else 'gap'})"
    )
    if s.get("arrow_peak_bytes") is not None:
        ag = s["arrow_peak_bytes"] / s["arrow_input_bytes"]
        print(
            f"input {s['arrow_input_bytes'] / 2**20:.0f} MiB (Arrow Table); peak memory growth {s['arrow_peak_bytes'] / 2**20:.0f} MiB = "
            f"{ag:.2f}× (goal ≤ {MAX_GROWTH}×: {'met' if ag <= MAX_GROWTH else 'gap'})"
        )
    summary.append(
        (f"{n:,} × {width}", "peak memory / input", growth, MAX_GROWTH, "met" if growth <= MAX_GROWTH else "gap")
    )
    if sp:
        print(f"shipshape / scipy loop: {s['time_s'] / sp['time_s']:.2%} of its time")
    goal = GOALS.get((n, width))
    for label, t in (
        ("one thread", s["time_s"]),
        ("workers=2", s.get("two_threads_s")),
        ("Arrow Table", s.get("arrow_table_s")),
        ("Arrow Table, workers=2", s.get("arrow_two_threads_s")),
    ):
        if not t:
            continue
        if goal:
            gap = t / goal
            verdict = "met" if gap <= 1 else f"gap {gap:.1f}× ({(t - goal) * 1000:.0f} ms over)"
            print(f"goal ≤ {goal * 1000:.0f} ms, {label}: {verdict}")
            summary.append((f"{n:,} × {width}", f"detect, {label} (s)", t, goal, verdict))
        if anchor:
            share = t / anchor
            verdict = "met" if share <= EVIDENTLY_SHARE else f"gap {share / EVIDENTLY_SHARE:.1f}×"
            print(f"goal ≤ {EVIDENTLY_SHARE:.2%} of Evidently's time ({anchor_kind}), {label}: {share:.3%}, {verdict}")
            summary.append(
                (f"{n:,} × {width}", f"share of Evidently ({anchor_kind}), {label}", share, EVIDENTLY_SHARE, verdict)
            )
    if probe:
        print(
            f"floor (numpy probe) {probe['time_s'] * 1000:.1f} ms; one thread is {s['time_s'] / probe['time_s']:.0f}× the floor"
        )
    if "first_call_s" in s:
        print(
            f"first call of the process (60,000 rows: imports, numba's kernel from its cache or compiled) {s['first_call_s']:.2f} s"
        )
    print(
        f"profile built in {s['profile_s']:.2f} s (once, at training time), {s['profile_bytes'] / 1024:.0f} KiB of JSON; "
        f"detection runs {', '.join(f'{t:.3f}' for t in s['times_s'])} s"
    )
    pos = [c for c, d in truth.items() if d]
    print(
        f"missed {[c for c in pos if c not in s['flagged']] or 'none'}; false alarms {[c for c in s['flagged'] if not truth[c]] or 'none'}"
    )
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes", default="1000000x25,1000000x250,10000000x25", help="ROWSxCOLUMNS,... (columns: 25 or a multiple)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-evidently", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=100_000, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        worker(a.worker, a.data, a.n, a.seed, a.repeat)
        return 0
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at the start (other jobs share this machine)")
    if not a.skip_evidently and not EVIDENTLY_PY.exists():
        print(
            f"Evidently environment not found at {EVIDENTLY_PY}: reporting without it (see the usage notes); "
            f"its last recorded time on 1M × 25, {EVIDENTLY_RECORDED_S:.0f} s (issue 19), is shown as recorded"
        )
    out = {}
    for size in a.sizes.split(","):
        n, width = (int(v) for v in size.lower().split("x"))
        out[size] = run_size(n, width, a)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end\n\nGoals (issue 19), as measured in this run:")
    print(f"{'size':<16} {'figure':<52} {'measured':>9} {'goal':>9} {'ratio':>6}  verdict")
    for size in out.values():
        for where, what, v, goal, verdict in size.get("summary", []):
            print(f"{where:<16} {what:<52} {v:>9.4g} {goal:>9.4g} {v / goal:>6.2f}  {verdict}")
    if a.json:
        Path(a.json).write_text(json.dumps({"seed": a.seed, "results": out}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
