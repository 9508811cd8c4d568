"""Quality gates (#14): relative by default — beat the baseline and a trivial model, no regression against production
(n/a without one, never a pass) — and an absolute `evaluate.min_metric` only when configured."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from nbs_lib.evaluate import binary_metrics, quality_gates


def gates(*args, **kw) -> dict:
    "The gates by key."
    return {g["key"]: g for g in quality_gates(*args, **kw)}


@pytest.fixture(scope="module")
def recorded():
    "The metrics.json of a real test build (Adult)."
    return json.loads((ROOT / "tests/fixtures/products/metrics.json").read_text())


@pytest.fixture(scope="module")
def german():
    "Two real candidates on UCI German credit: logistic regression on the numeric columns, and on every column (one-hot)."
    from sklearn.linear_model import LogisticRegression

    names = yaml.safe_load((ROOT / "data/german-credit/env.dataset.yaml").read_text())["dataset"]["format"]["names"]
    df = pd.read_csv(ROOT / "data/german-credit/german.data", sep=" ", header=None, names=names)
    y = (df.pop("credit_risk") == 1).to_numpy(dtype=float)
    num = df.select_dtypes("number")
    num = (num - num.mean()) / num.std()
    X = pd.concat([num, pd.get_dummies(df.select_dtypes(exclude="number"), dtype=float)], axis=1)
    tr = np.random.default_rng(0).random(len(df)) < 0.7

    def fit(A):
        return LogisticRegression(max_iter=2000).fit(A[tr], y[tr]).predict_proba(A[~tr])[:, 1]

    return {"y": y[~tr], "baseline": binary_metrics(y[~tr], fit(num)), "full": binary_metrics(y[~tr], fit(X))}


def test_a_first_registration_passes_relative_gates_and_production_is_na(recorded):
    g = gates(recorded["candidates"], recorded["chosen"], recorded["metric"])
    assert {k: v["status"] for k, v in g.items()} == {"baseline": "pass", "trivial": "pass", "production": "n/a"}
    assert {tuple(sorted(v)) for v in g.values()} == {
        ("key", "name", "op", "passed", "reason", "status", "threshold", "value")
    }
    na = g["production"]
    assert na["passed"] is None and "no production model" in na["reason"]


def test_a_data_set_harder_than_adult_is_not_blocked_unless_a_floor_is_configured(german):
    "German credit reaches ROC AUC near 0.78: relative gates pass; the old fixed 0.9 floor fails it, and only when asked for."
    cands = {"baseline": german["baseline"], "full": german["full"]}
    assert 0.7 < cands["full"]["roc_auc"] < 0.9
    chosen = max(cands, key=lambda k: cands[k]["roc_auc"])
    assert all(g["status"] != "fail" for g in quality_gates(cands, chosen, production=None))
    floor = gates(cands, chosen, min_metric=0.9)["min_metric"]
    assert floor["name"] == "test roc_auc against evaluate.min_metric" and floor["status"] == "fail"


def test_each_gate_fails_when_it_should(recorded, german):
    c = recorded["candidates"]
    auc = c["mlp"]["test"]["roc_auc"]
    assert gates(c, "mlp", production={"roc_auc": auc + 0.01})["production"]["status"] == "fail"
    assert gates(c, "mlp", production={"roc_auc": auc + 0.01}, max_regression=0.02)["production"]["status"] == "pass"
    worse = {"baseline": c["baseline"], "mlp": {**c["mlp"]["test"], "roc_auc": c["baseline"]["test"]["roc_auc"] - 0.01}}
    assert gates(worse, "mlp")["baseline"]["status"] == "fail"
    prior = binary_metrics(german["y"], np.full(len(german["y"]), german["y"].mean()))  # a real constant predictor
    for metric in ("roc_auc", "accuracy", "pr_auc"):
        trivial = gates({"prior": prior}, "prior", metric)["trivial"]
        assert trivial["status"] == "fail", metric
        assert gates({"full": german["full"]}, "full", metric)["trivial"]["status"] == "pass", metric


def test_min_metric_is_opt_in():
    from nbs_lib.settings import Evaluate

    assert Evaluate.model_fields["min_metric"].default is None
