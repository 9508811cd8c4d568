"""Model selection on small validation sets (`nbs_lib.evaluate.select_model`): a candidate replaces the baseline only
when its validation gain clears `min_gain` and the noise of the validation rows (a seeded paired bootstrap)."""

import numpy as np
import pytest

from nbs_lib.config import load_env
from nbs_lib.evaluate import binary_metrics, paired_gain, select_model


def planted(n: int, strength: float, seed: int, base: float = 2.0):
    "0/1 labels and two models' validation probabilities: the baseline's signal `base`, the candidate's `strength`."
    g = np.random.default_rng(seed)
    y = (g.random(n) < 0.3).astype(float)
    logit = {"baseline": y * base + g.normal(size=n), "lightgbm": y * strength + g.normal(size=n)}
    return y, {k: 1 / (1 + np.exp(-v)) for k, v in logit.items()}


def metrics(y, scores):
    return {k: {"roc_auc": binary_metrics(y, v)["roc_auc"], "p99_us": 10.0} for k, v in scores.items()}


def choose(y, scores, **kw):
    return select_model(metrics(y, scores), y=y, scores=scores, **kw)


def test_a_gain_within_the_noise_of_a_tiny_validation_set_keeps_the_baseline():
    y, s = planted(55, 2.3, seed=2)  # penguins-sized: a real gain of the candidate's validation ROC AUC, but small
    m = metrics(y, s)
    assert m["lightgbm"]["roc_auc"] - m["baseline"]["roc_auc"] > 0.002  # min_gain alone would take the candidate
    assert select_model(m)[0] == "lightgbm"
    chosen, why, sel = choose(y, s)
    assert chosen == "baseline"
    rec = sel["candidates"]["lightgbm"]
    assert rec["cleared"] is False and rec["chosen"] is False and rec["low"] <= 0 < rec["gain"] < rec["high"]
    assert "within the noise of 55 validation rows" in rec["reason"] and rec["reason"] in why
    assert sel["candidates"]["baseline"]["chosen"] is True and sel["candidates"]["baseline"]["reason"]
    assert (sel["confidence"], sel["resamples"], sel["seed"], sel["rows"]) == (0.9, 1000, 42, 55)


def test_a_clearly_better_candidate_is_chosen_with_its_interval_recorded():
    y, s = planted(3000, 3.5, seed=0)
    chosen, why, sel = choose(y, s)
    rec = sel["candidates"]["lightgbm"]
    assert chosen == "lightgbm" and rec["chosen"] and rec["cleared"]
    assert 0 < rec["low"] < rec["gain"] < rec["high"]
    assert "lower bound" in rec["reason"] and "3000 validation rows" in why


def test_a_candidate_no_better_than_the_baseline_rarely_replaces_it():
    "Equally good models on 55 rows, 40 seeded draws: min_gain alone picks the candidate about half the time."
    alone = noise = 0
    for seed in range(40):
        y, s = planted(55, 2.0, seed)
        alone += select_model(metrics(y, s))[0] == "lightgbm"
        noise += choose(y, s, resamples=400)[0] == "lightgbm"
    assert alone >= 12 and noise <= 8  # about 20 against at most 10 % (one-sided 0.9) of 40


def test_the_selection_is_deterministic_for_a_seed():
    y, s = planted(80, 2.6, seed=5)
    a, b = choose(y, s, seed=7), choose(y, s, seed=7)
    assert a == b
    c = choose(y, s, seed=8)
    assert c[2]["candidates"]["lightgbm"]["low"] != a[2]["candidates"]["lightgbm"]["low"]  # the seed drives it


def test_the_noise_margin_can_be_switched_off_and_one_class_is_refused():
    y, s = planted(55, 2.3, seed=2)
    chosen, why, sel = choose(y, s, confidence=None)
    assert chosen == "lightgbm" and sel["confidence"] is None and "noise not measured" in why
    with pytest.raises(ValueError, match="one class only"):
        paired_gain(np.zeros(10), np.linspace(0, 1, 10), np.linspace(1, 0, 10))


def test_env_yaml_configures_the_margin_and_null_switches_it_off():
    assert load_env()["evaluate"]["gain_interval"] == {
        "confidence": 0.9,
        "resamples": 1000,
        "seed": 42,
        "cv_below": 1000,
        "folds": 5,
    }
    assert load_env({"evaluate": {"gain_interval": None}})["evaluate"]["gain_interval"] is None
    with pytest.raises(Exception, match="greater than 0.5"):
        load_env({"evaluate": {"gain_interval": {"confidence": 0.3}}})


def linear_data(n: int, seed: int):
    "Features whose log-odds are linear (the logistic baseline is the right model) and their 0/1 labels."
    g = np.random.default_rng(seed)
    X = g.normal(size=(n, 6)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] + g.normal(size=n) > 0.5).astype(np.float32)
    return X, y


def test_on_a_small_validation_split_a_searched_candidate_is_judged_out_of_fold():
    "A tree model searched on 40 validation rows looks better there than it is; out-of-fold refits on train + valid say so."
    from nbs_lib.evaluate import selection_scores
    from nbs_lib.train import fit_baseline, predict_proba, search_lightgbm

    X, y = linear_data(240, seed=1)
    (Xt, yt), (Xv, yv) = (X[:200], y[:200]), (X[200:], y[200:])
    base = fit_baseline(Xt, yt)
    base.meta = {"seed": 42, "params": {"C": 1.0, "max_iter": 2000}}
    _, gbm = search_lightgbm(Xt, yt, Xv, yv, trials=15, seed=3, max_estimators=200)
    models = {"baseline": base, "lightgbm": gbm}
    valid = {k: predict_proba(m, Xv) for k, m in models.items()}
    on_valid = select_model(metrics(yv, valid), y=yv, scores=valid)
    assert select_model(metrics(yv, valid))[0] == "lightgbm"  # min_gain alone is fooled by the search's optimism
    ya, oof, basis = selection_scores(models, Xt, yt, Xv, yv, cv_below=1000)
    chosen, why, sel = select_model(metrics(ya, oof), y=ya, scores=oof, basis=basis)
    assert (basis, sel["basis"], sel["rows"]) == ("out-of-fold", "out-of-fold", 240)
    assert chosen == "baseline" and "out-of-fold" in sel["candidates"]["lightgbm"]["reason"]
    assert (
        on_valid[2]["candidates"]["lightgbm"]["gain"] > sel["candidates"]["lightgbm"]["gain"]
    )  # the search's optimism
    assert selection_scores(models, Xt, yt, Xv, yv, cv_below=1000)[1]["lightgbm"].tolist() == oof["lightgbm"].tolist()
    assert selection_scores(models, Xt, yt, Xv, yv, cv_below=40)[2] == "validation"  # enough rows: the validation split


def test_the_pipeline_records_why_and_retrains_the_served_family(built):
    "metrics.json's selection (Adult, a 25 % sample: 1,600 validation rows, the bootstrap on them) and I1's retrain."
    import json

    P = built["products"]
    m = json.loads((P / "05_evaluation/metrics.json").read_text())
    sel = m["selection"]
    assert (sel["basis"], sel["rows"]) == ("validation", m["candidates"]["baseline"]["valid"]["n"])
    assert set(sel["candidates"]) == set(m["fairness"]["eligible"]) and all(
        c["reason"] for c in sel["candidates"].values()
    )
    assert all(c["low"] <= c["gain"] <= c["high"] for k, c in sel["candidates"].items() if k != "baseline")
    r = json.loads((P / "readiness/reproducibility.json").read_text())
    family = load_model_kind(m["model_file"])
    assert r["family"] == family and r["max_abs_diff"]["valid_roc_auc"] <= 1e-6 and r["max_abs_diff"]["loss"] <= 1e-6


def load_model_kind(path) -> str:
    from nbs_lib.train import load_model

    return load_model(path).kind
