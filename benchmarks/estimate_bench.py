"""Performance estimation without labels (`nbs_lib.estimate`): planted truth on the bundled data sets.

For each bundled data set, every labelled row gets an out-of-fold probability from a scikit-learn logistic regression
(5 folds; numbers imputed and scaled, categories one-hot). Half the rows, at random, are the labelled reference (as a
registered version's holdout is); batches are drawn with replacement from the other half, so their labels are known
but hidden from the estimator. Scenarios (columns chosen generically: the three inputs whose values, or whose
categories' mean score, follow the model's score most closely):

- `none`: no shift; `covariate <col> b<β>`: rows weighted by exp(β·z), z the column's standardised value (a category:
  its mean score, standardised), β = 0.5, 1, 2 — P(label | inputs) unchanged;
- `concept`: no input shift, labels flipped in the sub-population z > 0.5 of the first column (estimation is blind);
- `miscal sharp` / `miscal flat`: the model's logits × 3 / × 0.4, reference and batch alike (should refuse);
- `coverage <col>`: the reference without a sub-population (a category with 3–30 % of rows, or a numeric column's
  top decile) and batches from it alone (should refuse);
- `small n<k>`: unshifted batches of 100 and 500 rows.

For each scenario and method (`cbpe`, `iw`): refusal rate, MAE of the estimated against the realised ROC AUC and accuracy
over the batches estimated, the same MAE and the 90 % interval coverage with the checks switched off (every batch), and
whether the refusals were right. Then the time of one estimate on a 100k-row batch beside scikit-learn's
`roc_auc_score` on the same rows, and the goals of issue #18, met or gap.

    .venv/bin/python benchmarks/estimate_bench.py                      # all bundled data sets
    .venv/bin/python benchmarks/estimate_bench.py --only german-credit --reps 5 --json /tmp/estimate.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("WANDB_MODE", "offline")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from datasets_bench import DATASETS  # noqa: E402  (the bundled data sets, beside this script)

from nbs_lib.config import load_env  # noqa: E402
from nbs_lib.data import encode_labels, feature_columns, split_data  # noqa: E402
from nbs_lib.estimate import METHODS, estimate_performance, realised_metrics  # noqa: E402

OPEN = {"max_ece": 1.0, "max_uncovered": 1.0, "max_width": 1.0}  # the checks switched off: a number for every batch
EXPECT = {"covariate": "estimate", "none": "estimate", "concept": "estimate", "miscal": "refuse", "coverage": "refuse"}


def labelled_rows(dataset_file: str) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    "Every labelled row of a bundled data set (train and test), its 0/1 labels and the model's input columns."
    env = load_env(dataset_file, root=ROOT)
    ds = env["dataset"]
    parts = split_data(env, ROOT)
    rows = pd.concat([parts["train"][0], parts["test"][0]], ignore_index=True)
    rows = rows[rows[ds["target"]].notna() & (rows[ds["target"]].astype(str).str.strip() != "")]
    cols = feature_columns(env, rows.columns, rows)
    return rows[cols].reset_index(drop=True), encode_labels(rows[ds["target"]], ds["positive_label"]).astype(int), cols


def numeric(s: pd.Series) -> pd.Series | None:
    v = pd.to_numeric(s, errors="coerce")
    return v if s.notna().sum() and v.notna().sum() >= 0.95 * s.notna().sum() else None


def oof_probabilities(X: pd.DataFrame, y: np.ndarray, seed: int = 0) -> np.ndarray:
    "Out-of-fold probabilities of a logistic regression (5 folds)."
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    num = [c for c in X if numeric(X[c]) is not None]
    cat = [c for c in X if c not in num]
    Xn = X.copy()
    for c in num:
        Xn[c] = pd.to_numeric(X[c], errors="coerce")
    for c in cat:
        Xn[c] = X[c].astype(str)
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
            ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=5), cat),
        ]
    )
    model = make_pipeline(pre, LogisticRegression(max_iter=2000, C=1.0))
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    return cross_val_predict(model, Xn, y, cv=folds, method="predict_proba")[:, 1]


def shift_axes(X: pd.DataFrame, p: np.ndarray, k: int = 3) -> dict:
    "z-scores of the k columns that follow the score most closely (numbers: their value; categories: their mean score)."
    z = {}
    for c in X:
        v = numeric(X[c])
        if v is None:
            key = X[c].astype(str)
            v = key.map(pd.Series(p).groupby(key.to_numpy()).mean())
        v = v.fillna(v.median()).to_numpy(float)
        if v.std() > 0:
            z[c] = (v - v.mean()) / v.std()
    corr = {c: abs(pd.Series(v).corr(pd.Series(p), method="spearman")) for c, v in z.items()}
    return {c: z[c] for c in sorted(corr, key=lambda c: -corr[c])[:k]}


def excluded_group(X: pd.DataFrame, axes: dict) -> list[tuple[str, np.ndarray]]:
    "Sub-populations to hide from the reference: a category with 3–30 % of the rows, a numeric column's top decile."
    out = []
    for c in axes:
        v = numeric(X[c])
        if v is None:
            share = X[c].astype(str).value_counts(normalize=True)
            ok = share[(share >= 0.03) & (share <= 0.3)]
            if len(ok):
                out.append((f"{c}={ok.index[0]}", (X[c].astype(str) == ok.index[0]).to_numpy()))
        elif v.nunique() > 10:
            out.append((f"{c} top decile", (v > v.quantile(0.9)).to_numpy()))
    return out[:2]


def sharpen(p, k):
    q = np.clip(p, 1e-9, 1 - 1e-9)
    return 1 / (1 + np.exp(-k * np.log(q / (1 - q))))


def scenarios(X, y, p, rng) -> list[dict]:
    "The planted cases: reference and pool indices, batch weights, batch size, and the probabilities/labels used."
    n = len(y)
    is_ref = rng.permutation(n) < n // 2
    ref, pool = np.flatnonzero(is_ref), np.flatnonzero(~is_ref)
    axes = shift_axes(X, p)
    base = {"ref": ref, "pool": pool, "w": None, "n": 5000, "p": p, "y": y, "y_batch": y}
    out = [base | {"name": "none", "kind": "none"}]
    for c, z in axes.items():
        for b in (0.5, 1.0, 2.0):
            out.append(base | {"name": f"covariate {c} b{b}", "kind": "covariate", "w": np.exp(b * z)})
    first = next(iter(axes.values()))
    out.append(base | {"name": "concept", "kind": "concept", "y_batch": np.where(first > 0.5, 1 - y, y)})
    out.append(base | {"name": "miscal sharp", "kind": "miscal", "p": sharpen(p, 3.0), "w": np.exp(0.5 * first)})
    out.append(base | {"name": "miscal flat", "kind": "miscal", "p": sharpen(p, 0.4), "w": np.exp(0.5 * first)})
    for name, group in excluded_group(X, axes):
        out.append(
            base
            | {
                "name": f"coverage {name}",
                "kind": "coverage",
                "ref": ref[~group[ref]],
                "pool": np.flatnonzero(group),
                "n": 2000,
            }
        )
    for k in (100, 500):
        out.append(base | {"name": f"small n{k}", "kind": "small", "n": k})
    return out


def run_dataset(name: str, dataset_file: str, reps: int, seed: int = 0) -> tuple[list[dict], dict]:
    X, y, _ = labelled_rows(dataset_file)
    t = time.perf_counter()
    p = oof_probabilities(X, y, seed)
    fit_s = time.perf_counter() - t
    rng = np.random.default_rng(seed)
    rows = []
    for sc in scenarios(X, y, p, rng):
        pool, ref = sc["pool"], sc["ref"]
        prob = None if sc["w"] is None else sc["w"][pool] / sc["w"][pool].sum()
        for method in METHODS:
            rec = {"data": name, "scenario": sc["name"], "kind": sc["kind"], "method": method, "rows": sc["n"]}
            res = []
            for r in range(reps):
                idx = pool[rng.choice(len(pool), sc["n"], p=prob)]
                args = (sc["p"][idx], sc["p"][ref], sc["y"][ref], 0.5, method, X.iloc[ref], X.iloc[idx])
                checked = estimate_performance(*args, seed=r)
                free = estimate_performance(*args, policy=OPEN, seed=r)
                real = realised_metrics(sc["p"][idx], sc["y_batch"][idx])  # the reference keeps the old labels
                res.append((checked, free, real))
            rec |= summarise(res)
            rows.append(rec)
    return rows, {
        "data": name,
        "labelled_rows": len(y),
        "reference_rows": len(y) // 2,
        "fit_s": fit_s,
        "p": p,
        "X": X,
        "y": y,
    }


def summarise(res) -> dict:
    "Refusal rate, MAE over estimated batches, MAE and interval coverage with the checks off."

    def err(results, m, key="metrics"):
        return [
            abs(c[key][m]["estimate"] - r[m])
            for c, r in results
            if c[key] is not None and r[m] is not None and c[key][m]["estimate"] is not None
        ]

    def inside(m):
        return [
            f["metrics"][m]["low"] <= r[m] <= f["metrics"][m]["high"]
            for _, f, r in res
            if f["metrics"][m]["low"] is not None and r[m] is not None
        ]

    kept = [(c, r) for c, f, r in res if c["status"] == "estimated"]
    free = [(f, r) for c, f, r in res]
    reasons = sorted({k for c, _, _ in res for k, v in c["checks"].items() if not v.get("passed", True)})

    def mean(v):
        return float(np.mean(v)) if len(v) else None

    return {
        "refused": mean([c["status"] == "refused" for c, _, _ in res]),
        "why": ",".join(reasons) or "-",
        "mae_auc": mean(err(kept, "roc_auc")),
        "mae_acc": mean(err(kept, "accuracy")),
        "mae_auc_off": mean(err(free, "roc_auc")),
        "mae_acc_off": mean(err(free, "accuracy")),
        "cover_auc": mean(inside("roc_auc")),
        "cover_acc": mean(inside("accuracy")),
    }


def timing(info: dict, n: int = 100_000, seed: int = 0) -> list[dict]:
    "One estimate on a 100k-row batch (checks included; with and without the rows for coverage) beside sklearn's roc_auc_score."
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    p, y, X = info["p"], info["y"], info["X"]
    ref = rng.permutation(len(y))[: len(y) // 2]
    idx = rng.choice(len(y), n)
    out = []
    t = time.perf_counter()
    roc_auc_score(y[idx], p[idx])
    base = time.perf_counter() - t
    for method in METHODS:
        for with_rows in (False, True):
            kw = {"ref_rows": X.iloc[ref], "rows": X.iloc[idx]} if with_rows else {}
            t = time.perf_counter()
            estimate_performance(p[idx], p[ref], y[ref], 0.5, method, **kw)
            s = time.perf_counter() - t
            out.append(
                {
                    "data": info["data"],
                    "method": method,
                    "coverage_rows": with_rows,
                    "seconds": s,
                    "sklearn_auc_s": base,
                    "ratio": s / base,
                }
            )
    return out


def fmt(v, spec=".4f"):
    return "-" if v is None else format(v, spec)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=list(DATASETS), action="append")
    ap.add_argument("--reps", type=int, default=10, help="batches per scenario and method")
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args(argv)
    rows, infos, times = [], [], []
    for name in a.only or DATASETS:
        r, info = run_dataset(name, DATASETS[name], a.reps)
        rows += r
        times += timing(info)
        infos.append({k: v for k, v in info.items() if k not in ("p", "X", "y")})
    for i in infos:
        print(
            f"{i['data']}: {i['labelled_rows']} labelled rows, reference {i['reference_rows']}, model fitted (5 folds) in {i['fit_s']:.1f} s"
        )
    head = f"{'data':16} {'scenario':34} {'method':6} {'rows':>6} {'refused':>8} {'why':>22} {'MAE auc':>8} {'MAE acc':>8} | {'off: MAE auc':>12} {'MAE acc':>8} {'cov auc':>8} {'cov acc':>8}"
    print("\n" + head + "\n" + "-" * len(head))
    for r in rows:
        print(
            f"{r['data']:16} {r['scenario'][:34]:34} {r['method']:6} {r['rows']:>6} {fmt(r['refused'], '.0%'):>8} {r['why'][:22]:>22} "
            f"{fmt(r['mae_auc']):>8} {fmt(r['mae_acc']):>8} | {fmt(r['mae_auc_off']):>12} {fmt(r['mae_acc_off']):>8} "
            f"{fmt(r['cover_auc'], '.0%'):>8} {fmt(r['cover_acc'], '.0%'):>8}"
        )
    print("\ntime of one estimate on 100,000 rows (checks included)")
    for t in times:
        print(
            f"  {t['data']:16} {t['method']:5} coverage rows {'yes' if t['coverage_rows'] else 'no ':3}: {t['seconds']:.3f} s  (sklearn roc_auc_score alone {t['sklearn_auc_s']:.3f} s, ×{t['ratio']:.1f})"
        )
    print("\ngoals (issue #18), per data set and method")
    goals = []
    for d in dict.fromkeys(r["data"] for r in rows):
        for m in METHODS:
            cov = [r for r in rows if r["data"] == d and r["method"] == m and r["kind"] == "covariate"]
            bad = [r for r in rows if r["data"] == d and r["method"] == m and EXPECT.get(r["kind"]) == "refuse"]
            est = [r for r in cov if r["mae_auc"] is not None]
            g = {
                "data": d,
                "method": m,
                "mae_auc": float(np.mean([r["mae_auc"] for r in est])) if est else None,
                "mae_acc": float(np.mean([r["mae_acc"] for r in est])) if est else None,
                "covariate_refused": float(np.mean([r["refused"] for r in cov])),
                "interval_cover": float(np.mean([(r["cover_auc"] + r["cover_acc"]) / 2 for r in cov])),
                "right_refusals": float(np.mean([r["refused"] for r in bad])) if bad else None,
                "seconds_100k": max(t["seconds"] for t in times if t["data"] == d and t["method"] == m),
            }
            goals.append(g)
            checks = [
                ("MAE ROC AUC ≤ 0.015", g["mae_auc"], lambda v: v <= 0.015),
                ("MAE accuracy ≤ 0.01", g["mae_acc"], lambda v: v <= 0.01),
                ("90% intervals cover ≥ 85%", g["interval_cover"], lambda v: v >= 0.85),
                ("refuses ≥ 90% miscal/out-of-coverage", g["right_refusals"], lambda v: v >= 0.9),
                ("100k rows ≤ 1 s", g["seconds_100k"], lambda v: v <= 1.0),
            ]
            line = "; ".join(
                f"{label}: {fmt(v)} {'met' if v is not None and ok(v) else 'GAP'}" for label, v, ok in checks
            )
            print(f"  {d:16} {m:5} {line}  (covariate batches refused: {g['covariate_refused']:.0%})")
    if a.json:
        Path(a.json).write_text(
            json.dumps({"datasets": infos, "rows": rows, "timing": times, "goals": goals}, indent=1)
        )


if __name__ == "__main__":
    main()
