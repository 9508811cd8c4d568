"""The chosen model's test ROC AUC on every bundled data set, beside a scikit-learn HistGradientBoosting reference.

For each data set, a copy of the project with only `dataset:` swapped is built with the real pipeline (`shipshape run`);
the reference is fitted on the very rows the pipeline trained on (its validated training rows, train + valid splits) and
scored on the very rows it tested on, with the model's inputs only (categories ordinal-encoded, native categorical
support). Prints one table; `--json FILE` also writes it.

    .venv/bin/python benchmarks/datasets_bench.py                 # all bundled data sets, full configuration
    .venv/bin/python benchmarks/datasets_bench.py --only german-credit --env-test
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATASETS = {
    "uci-adult": "data/raw/env.dataset.yaml",
    "german-credit": "data/german-credit/env.dataset.yaml",
    "palmer-penguins": "data/palmer-penguins/env.dataset.yaml",
}


def project_copy(dest: Path, dataset_file: str) -> Path:
    "A copy of the project whose env.yaml differs in its `dataset:` section only."
    dest.mkdir(parents=True)
    for f in ["pipeline.yaml", "env.test.yaml", "readiness.yaml", "requirements.lock"]:
        shutil.copy2(ROOT / f, dest / f)
    for d in ["notebooks", "data", "contracts"]:
        shutil.copytree(ROOT / d, dest / d)
    env = yaml.safe_load((ROOT / "env.yaml").read_text())
    env["dataset"] = yaml.safe_load((ROOT / dataset_file).read_text())["dataset"]
    (dest / "env.yaml").write_text(yaml.safe_dump(env, sort_keys=False))
    return dest


def reference_auc(products: Path, env: dict) -> tuple[float, float]:
    "HistGradientBoosting fitted on the pipeline's training rows, scored on its test rows: (test ROC AUC, fit seconds)."
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    from nbs_lib.data import encode_labels, read_rows

    d = np.load(products / "03_features/features.npz", allow_pickle=True)
    spec = json.loads((products / "03_features/transform.json").read_text())
    train_rows = read_rows(products / "02_validated/train.parquet")
    test_rows = read_rows(products / "02_validated/test.parquet")
    fit_rows = train_rows.loc[np.concatenate([d["line_train"], d["line_valid"]])]
    test_rows = test_rows.loc[d["line_test"]]
    cols = [c["name"] for c in spec["columns"]]
    cats = [c["name"] for c in spec["columns"] if c["kind"] == "categorical"]

    def frame(rows):
        out = pd.DataFrame(index=rows.index)
        for c in cols:
            out[c] = rows[c].astype("category") if c in cats else pd.to_numeric(rows[c], errors="coerce")
        return out

    Xf, Xt = frame(fit_rows), frame(test_rows)
    for c in cats:  # one category set, from the training rows
        Xt[c] = pd.Categorical(Xt[c], categories=Xf[c].cat.categories)
    ds = env["dataset"]
    yf = encode_labels(fit_rows[ds["target"]], ds["positive_label"])
    yt = encode_labels(test_rows[ds["target"]], ds["positive_label"])
    t0 = time.perf_counter()
    m = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0).fit(Xf, yf)
    return float(roc_auc_score(yt, m.predict_proba(Xt)[:, 1])), time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", choices=list(DATASETS))
    ap.add_argument("--json")
    ap.add_argument(
        "--env-test", action="store_true", help="build with env.test.yaml (short training) instead of env.yaml"
    )
    a = ap.parse_args(argv)
    from nbs_lib.config import load_env, products_dir

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.only or list(DATASETS):
            p = project_copy(Path(tmp) / name, DATASETS[name])
            t0 = time.perf_counter()
            r = subprocess.run(
                [
                    str(Path(sys.executable).parent / "shipshape"),
                    "run",
                    *(["--env", "env.test.yaml"] if a.env_test else []),
                ],
                cwd=p,
                capture_output=True,
                text=True,
            )
            build_s = time.perf_counter() - t0
            if r.returncode:
                print(f"{name}: build failed\n{r.stdout[-2000:]}{r.stderr[-2000:]}", file=sys.stderr)
                return 2
            env = load_env("env.test.yaml" if a.env_test else None, p)
            P = products_dir(env, p)
            m = json.loads((P / "05_evaluation/metrics.json").read_text())
            ref, fit_s = reference_auc(P, env)
            rows.append(
                {
                    "data set": name,
                    "test rows": m["test"]["n"],
                    "chosen": m["chosen"],
                    "chosen ROC AUC": round(m["test"]["roc_auc"], 4),
                    **{f"{c} ROC AUC": round(v["test"]["roc_auc"], 4) for c, v in m["candidates"].items()},
                    "HistGB reference": round(ref, 4),
                    "chosen − reference": round(m["test"]["roc_auc"] - ref, 4),
                    "build s": round(build_s, 1),
                    "reference fit s": round(fit_s, 2),
                }
            )
            print(f"{name}: built in {build_s:.0f} s", file=sys.stderr)
    table = pd.DataFrame(rows).set_index("data set")
    print(table.to_markdown() if hasattr(table, "to_markdown") else table.to_string())
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
