"""The staleness backtest (readiness M4): quality against model age from a time column or the ledger's labelled batches."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from nbs_lib.checks import recorded_project
from nbs_lib.config import load_env, write_json
from nbs_lib.data import load_split
from nbs_lib.ledger import read_ledger
from nbs_lib.registry import read_state
from nbs_lib.settings import Settings, SettingsError
from nbs_lib.staleness import (
    DEFAULT_TOLERANCE,
    backtest,
    ledger_periods,
    recommend,
    time_format,
    time_periods,
    tolerance,
)

ROOT = Path(__file__).resolve().parents[1]
TYPES = {"x1": "numeric", "x2": "numeric", "colour": "categorical"}
DAYS = 360
SWITCH = 240  # day from which the label follows x2 instead of x1


def rows(decay: bool, n: int = 2400, seed: int = 0) -> pd.DataFrame:
    "Labelled rows over DAYS days, in shuffled file order: the label is x1 > 0, or x2 > 0 from day SWITCH when `decay`."
    rng = np.random.default_rng(seed)
    day = rng.integers(0, DAYS, n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = np.where(decay & (day >= SWITCH), x2 > 0, x1 > 0)
    date = pd.Timestamp("2025-01-01") + pd.to_timedelta(day, unit="D")
    return pd.DataFrame(
        {
            "when": date.strftime("%d/%m/%Y"),
            "x1": x1.astype(str),
            "x2": x2.astype(str),
            "colour": rng.choice(["red", "blue"], n),
            "label": np.where(y, "yes", "no"),
        }
    ).astype(object)


def backtested(df: pd.DataFrame, **tol) -> dict:
    t = tolerance({"periods": 6, "train_fraction": 0.3} | tol, "roc_auc")
    tp = time_periods(df, "when", "label", "yes", TYPES, "%d/%m/%Y", "baseline", seed=1, tol=t)
    return backtest(tp, "no ledger here", t)


def test_a_planted_decay_gives_the_age_before_the_first_breach():
    res = backtested(rows(decay=True))
    assert (res["status"], res["source"], res["at_least"]) == ("ok", "time", False)
    train_end = (
        pd.Timestamp(res["sources"]["time"]["train"]["end"]).tz_localize(None) - pd.Timestamp("2025-01-01")
    ).days
    switch_age = SWITCH - train_end
    breach = res["recommendation"]["breach"]
    # the last period within tolerance ends before the label changed; the first breach holds rows after it
    assert res["interval_days"] < switch_age <= breach["age_days"]
    assert breach["upper"] < res["recommendation"]["floor"]
    ages = [p["age_days"] for p in res["periods"]]
    assert res["interval_days"] == max(a for a in ages if a < breach["age_days"])


def test_a_flat_series_gives_at_least_the_observed_span():
    res = backtested(rows(decay=False))
    assert (res["status"], res["at_least"]) == ("ok", True)
    assert res["interval_days"] == max(p["age_days"] for p in res["periods"]) > 200
    assert res["reason"].startswith("no period's upper bound falls below")


def test_the_rule_uses_the_upper_bound_so_noise_alone_does_not_shorten_the_interval():
    wide = [{"age_days": 30.0 * (i + 1), "value": v, "upper": v + 0.05} for i, v in enumerate([0.90, 0.86, 0.84])]
    assert recommend(wide, 0.02)["at_least"] is True  # 0.84 + 0.05 is above 0.88
    narrow = [p | {"upper": p["value"] + 0.005} for p in wide]
    assert (recommend(narrow, 0.02)["interval_days"], recommend(narrow, 0.02)["at_least"]) == (30.0, False)


def test_without_time_order_or_labelled_batches_the_result_is_n_a_with_the_reasons():
    res = backtest("dataset.time is not set", "nothing in production yet", tolerance())
    assert (res["status"], res["interval_days"], res["periods"]) == ("n/a", None, [])
    assert "dataset.time is not set" in res["reason"] and "nothing in production yet" in res["reason"]
    df = rows(decay=False).assign(when=None)
    tp = time_periods(df, "when", "label", "yes", TYPES, "%d/%m/%Y", tol=tolerance())
    assert tp["periods"] == [] and tp["reason"] == "no labelled row has a readable 'when'"
    assert backtest(tp, "no ledger", tolerance())["status"] == "n/a"
    few = time_periods(rows(False, n=60), "when", "label", "yes", TYPES, "%d/%m/%Y", tol=tolerance())
    assert few["reason"].endswith("fewer than 2 periods of 30 rows")


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="dataset.time 'date' is not a column"):
        time_periods(rows(False), "date", "label", "yes", TYPES)
    with pytest.raises(ValueError, match="readiness.staleness.metric 'brier' is not supported"):
        tolerance({"metric": "brier"})
    peng = yaml.safe_load((ROOT / "data/palmer-penguins/env.dataset.yaml").read_text())
    with pytest.raises(SettingsError, match="declared in `columns:` as text, not datetime"):
        load_env({"dataset": peng["dataset"] | {"time": "Comments"}}, ROOT)


def test_the_settings_defaults_are_the_library_defaults():
    assert Settings.model_construct().readiness.staleness.model_dump() == DEFAULT_TOLERANCE


def test_the_penguins_egg_dates_give_periods_over_two_seasons():
    env = load_env(str(ROOT / "data/palmer-penguins/env.dataset.yaml"), ROOT)
    ds = env["dataset"]
    assert (ds["time"], time_format(ds)) == ("Date Egg", "%Y-%m-%d")
    df, _ = load_split(env, "train", ROOT)
    cols = ["Species", "Island", "Culmen Length (mm)", "Culmen Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"]
    types = {c: "categorical" if c in ("Species", "Island") else "numeric" for c in cols}
    tol = tolerance(env["readiness"]["staleness"], env["evaluate"]["metric"])
    tp = time_periods(df, ds["time"], ds["target"], ds["positive_label"], types, time_format(ds), "baseline", tol=tol)
    ps = tp["periods"]
    assert tp["train"]["end"].startswith("2007-12") and len(ps) == tol["periods"]
    assert all(p["rows"] >= tol["min_rows"] and p["lower"] <= p["value"] <= p["upper"] for p in ps)
    assert [p["age_days"] for p in ps] == sorted(p["age_days"] for p in ps) and ps[0]["age_days"] > 300
    assert sum(p["rows"] for p in ps) + tp["train"]["rows"] == int(df[ds["target"]].notna().sum())
    assert backtest(tp, "no ledger", tol)["status"] == "ok"


def test_the_ledgers_labelled_batches_are_a_source(tmp_path):
    "The recorded project's real ledger, registry and drift report: one labelled batch is not enough, two are."
    root = recorded_project(tmp_path / "project")
    P = root / "products/uci-adult"
    state = read_state(root / "registry/uci-adult")
    created = {v["version"]: v["created_at"] for v in state["versions"]}
    prod = state["aliases"]["production"]
    one = ledger_periods(read_ledger(P), created, "roc_auc", prod)
    assert len(one["periods"]) == 1 and one["reason"].startswith("1 labelled batch(es)")
    assert backtest("dataset.time is not set", one, tolerance())["status"] == "n/a"
    # the first batch's drift report, with a realised ROC AUC 0.1 below the second's
    second = P / "monitoring/uci-adult-2026-11-02/drift.json"
    first = P / "monitoring/uci-adult-2026-11-01/drift.json"
    first.parent.mkdir(exist_ok=True)
    shutil.copy(second, first)
    d = json.loads(first.read_text())
    m = d["concept"]["metrics"]["roc_auc"]
    m.update(current=m["current"] + 0.1, ci=[c + 0.1 for c in m["ci"]])
    write_json(first, d)
    two = ledger_periods(read_ledger(P), created, "roc_auc", prod)
    assert [p["batch"] for p in two["periods"]] == ["uci-adult-2026-11-01.csv", "uci-adult-2026-11-02.csv"]
    assert two["periods"][0]["age_days"] < two["periods"][1]["age_days"]
    res = backtest("dataset.time is not set", two, tolerance())
    assert (res["source"], res["at_least"], res["interval_days"]) == ("ledger", False, two["periods"][0]["age_days"])
    assert ledger_periods(read_ledger(P), created, "roc_auc", "v0099")["periods"] == []  # another model's batches
