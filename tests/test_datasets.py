"""Your own data, by configuration alone: each bundled data set besides Adult, swapped in by editing only `dataset:`.

For each one, in a copy of the project whose env.yaml differs from the repository's in its `dataset:` section only:
`shipshape run` builds, registers and scores readiness; a production batch of unseen rows carrying only the model's
inputs and the label goes through `shipshape monitor` with a small quarantine rate; the standalone scorer flags an
unseen category; and `shipshape drift-drill` passes.
"""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

SHIPSHAPE = str(Path(sys.executable).parent / "shipshape")
DATASETS = ["german-credit", "palmer-penguins"]
pytestmark = pytest.mark.slow


def shipshape(project: Path, *args, timeout=1500):
    return subprocess.run([SHIPSHAPE, *args], cwd=project, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module", params=DATASETS)
def swapped(request, tmp_path_factory):
    "A copy of the project with only `dataset:` edited, built once with `shipshape run`."
    p = tmp_path_factory.mktemp(request.param) / "project"
    p.mkdir()
    for f in ["pipeline.yaml", "env.test.yaml", "readiness.yaml", "requirements.lock"]:
        shutil.copy2(ROOT / f, p / f)
    for d in ["notebooks", "data", "contracts"]:
        shutil.copytree(ROOT / d, p / d)
    env = yaml.safe_load((ROOT / "env.yaml").read_text())
    env["dataset"] = yaml.safe_load((ROOT / "data" / request.param / "env.dataset.yaml").read_text())["dataset"]
    (p / "env.yaml").write_text(yaml.safe_dump(env, sort_keys=False))
    r = shipshape(p, "run")
    from nbs_lib.config import load_env, products_dir

    e = load_env(root=p)
    return {"name": request.param, "project": p, "run": r, "env": e, "products": products_dir(e, p)}


def test_a_swapped_data_set_builds_end_to_end(swapped):
    r = swapped["run"]
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    P = swapped["products"]
    m = json.loads((P / "05_evaluation/metrics.json").read_text())
    assert m["test"]["roc_auc"] > 0.7
    sc = json.loads((P / "readiness/scorecard.json").read_text())
    assert sc["subject"]["data_version"] and sc["scores"]["gate"]["decision"] in ("go", "no-go", "needs-review")
    card = (P / "readiness/modelcard.md").read_text() + (P / "readiness/datasheet.md").read_text()
    assert swapped["env"]["dataset"]["name"] in card and "income" not in card  # nothing of Adult's leaks in


def _held_out(swapped, n: int):
    "Rows the model never trained on (the split ingest holds out), as raw text rows."
    from nbs_lib.data import split_data

    rows, _ = split_data(swapped["env"], swapped["project"])["test"]
    return rows.head(n)


def test_a_production_batch_of_unseen_rows_with_inputs_and_label_only_passes(swapped):
    from nbs_lib.validate import required_columns

    P, proj = swapped["products"], swapped["project"]
    contract = json.loads((P / "02_validated/contract.json").read_text())
    cols = required_columns(contract, labelled=True)
    inbox = proj / "data" / "incoming"
    inbox.mkdir(parents=True, exist_ok=True)
    rows = _held_out(swapped, 120)[cols]
    (inbox / "batch-1.csv").write_text(rows.to_csv(index=False))
    (inbox / "batch-1.csv.ready").touch()
    r = shipshape(proj, "monitor")
    assert r.returncode in (0, 1), r.stdout + r.stderr  # 1: a drift alert is an outcome, not a failure
    [e] = [json.loads(ln) for ln in (P / "ledger.jsonl").read_text().splitlines() if "batch-1.csv" in ln]
    assert e["status"] == "ok" and e["rows_in"] == len(rows)
    assert e["quarantine_rate"] < 0.05


def test_the_standalone_scorer_flags_an_unseen_category(swapped, tmp_path):
    P = swapped["products"]
    bundle = P / "06_export/bundle"
    contract = json.loads((P / "02_validated/contract.json").read_text())
    from nbs_lib.validate import required_columns

    cols = required_columns(contract, labelled=False)
    cat = next(c for c in cols if contract["columns"][c]["type"] == "categorical")
    rows = _held_out(swapped, 5)[cols].copy()
    rows.iloc[2, rows.columns.get_loc(cat)] = "Never-seen-before"
    (tmp_path / "in.csv").write_text(rows.to_csv(index=False))
    r = subprocess.run(
        [sys.executable, str(bundle / "score.py"), str(tmp_path / "in.csv"), "--out", str(tmp_path / "out.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    out = list(csv.DictReader(open(tmp_path / "out.csv")))
    assert [o["status"] for o in out] == ["ok", "ok", "quarantined", "ok", "ok"]
    assert cat in out[2]["reasons"] and out[0]["model_version"]


def test_the_drift_drill_passes(swapped):
    r = shipshape(swapped["project"], "drift-drill")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    d = json.loads((swapped["products"] / "monitoring/drift_drill.json").read_text())
    assert d["status"] == "pass" and [s["ok"] for s in d["steps"]] == [True, True, True]
