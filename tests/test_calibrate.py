"""Calibration (nbs_lib.calibrate): the choice by cross-fitted Brier score, the ECE, and the map inside the served ONNX graph."""

import json

import numpy as np
import pytest

from nbs_lib.calibrate import METHODS, MIN_ROWS, Calibrator, calibration_onnx, ece, fit_calibration, reliability_table


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _logit(p):
    return np.log(p) - np.log1p(-p)


def planted(n, rate, seed):
    "Scores uniform in (0.01, 0.99) whose true positive rate is `rate(p)`."
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.99, n)
    return p, (rng.uniform(size=n) < rate(p)).astype(int)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_calibrated_score_is_left_alone(seed):
    p, y = planted(5000, lambda p: p, seed)
    c = fit_calibration(p, y, seed)
    assert c.method == "none" and c.chosen_by == "cross-fitted validation Brier score"
    assert set(c.brier) == set(METHODS)
    np.testing.assert_array_equal(c.apply(p), p)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_logit_linear_distortion_gets_platt(seed):
    p, y = planted(5000, lambda p: _sigmoid(0.4 * _logit(p) - 0.5), seed)  # overconfident and too high
    c = fit_calibration(p, y, seed)
    assert c.method == "platt" and c.brier["platt"] < c.brier["none"]
    assert c.params["a"] == pytest.approx(0.4, abs=0.1) and c.params["b"] == pytest.approx(-0.5, abs=0.1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_staircase_gets_isotonic(seed):
    "No sigmoid of the logit fits plateaus: the isotonic map wins by more than its noise."
    p, y = planted(5000, lambda p: np.select([p < 0.3, p < 0.7], [0.05, 0.5], 0.95), seed)
    c = fit_calibration(p, y, seed)
    assert c.method == "isotonic" and c.brier["isotonic"] < c.brier["platt"] < c.brier["none"]


def test_the_ece_falls_on_rows_the_map_did_not_see_and_the_ranking_is_kept():
    from sklearn.metrics import roc_auc_score

    p, y = planted(8000, lambda p: p**3, 0)  # far too high
    c = fit_calibration(p[:4000], y[:4000], 0)
    q = c.apply(p[4000:])
    before, after = ece(y[4000:], p[4000:]), ece(y[4000:], q)
    assert before > 0.15 and after < 0.03
    assert abs(roc_auc_score(y[4000:], q) - roc_auc_score(y[4000:], p[4000:])) < 1e-3
    for method in ("platt", "isotonic"):
        assert ece(y[4000:], fit_calibration(p[:4000], y[:4000], 0, method).apply(p[4000:])) < before / 4


def test_isotonic_knots_are_strictly_increasing():
    p, y = planted(3000, lambda p: p**2, 3)
    k = fit_calibration(p, y, 0, "isotonic").params
    assert len(k["x"]) > 2 and (np.diff(k["x"]) > 0).all() and (np.diff(k["y"]) > 0).all()


def test_tiny_sets_choose_none_with_the_reason():
    p, y = planted(60, lambda p: p**3, 0)  # the size of the penguins' validation split
    for method in ("auto", "isotonic"):
        c = fit_calibration(p, y, 0, method)
        assert c.method == "none" and c.chosen_by == "too few rows"
        assert "60 rows" in c.reason and f"minimum {MIN_ROWS} rows" in c.reason
    p, y = planted(2000, lambda p: np.where(p > 0.99, 1.0, 0.0), 0)  # enough rows, a handful of positives
    c = fit_calibration(p, y, 0)
    assert c.method == "none" and f"{int(y.sum())} in its smaller class" in c.reason


def test_bad_input_is_refused_by_name():
    p, y = planted(500, lambda p: p, 0)
    with pytest.raises(ValueError, match="'beta' is unknown"):
        fit_calibration(p, y, 0, "beta")
    with pytest.raises(ValueError, match="finite probabilities"):
        fit_calibration(p * 2, y, 0)
    with pytest.raises(ValueError, match="'spline' is unknown"):
        Calibrator("spline")


def test_the_calibrator_round_trips_through_json():
    p, y = planted(3000, lambda p: p**2, 0)
    c = fit_calibration(p, y, 0)
    back = Calibrator.from_dict(json.loads(json.dumps(c.to_dict() | {"test": {"ece": 0.01}})))
    np.testing.assert_array_equal(back.apply(p), c.apply(p))
    assert Calibrator.from_dict(None).method == "none"


def test_reliability_table_counts_every_row_once():
    p, y = planted(1000, lambda p: p, 0)
    t = reliability_table(np.r_[y, 0, 1], np.r_[p, 0.0, 1.0], 10)
    assert len(t) == 10 and t.n.sum() == 1000 + 2 and t.n.iloc[-1] >= 1  # p = 1 falls in the last bin
    assert ece([0, 1, 1, 0], [0.0, 1.0, 1.0, 0.0]) == 0.0
    with pytest.raises(ValueError, match="3 labels but 2 probabilities"):
        ece([0, 1, 1], [0.2, 0.4])


# --- the map inside the served ONNX graph ------------------------------------------------------------------


@pytest.fixture(scope="module")
def models():
    import torch

    from nbs_lib.train import TabularNet, train_lightgbm

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 5)).astype(np.float32)
    y = (rng.uniform(size=2000) < _sigmoid(2 * X[:, 0] - X[:, 1])).astype(np.float32)
    torch.manual_seed(0)
    return X, y, {"mlp": TabularNet(5, [8]), "lightgbm": train_lightgbm(X, y, n_estimators=30, min_child_samples=5)}


@pytest.mark.parametrize("kind", ["mlp", "lightgbm"])
@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_the_exported_graph_serves_the_calibrated_probability(models, kind, method, tmp_path):
    import onnx

    from nbs_lib.export import export_onnx
    from nbs_lib.runtime import onnx_predict, onnx_session
    from nbs_lib.train import predict_proba

    X, y, ms = models
    m = ms[kind]
    raw = predict_proba(m, X)
    labels = (np.random.default_rng(1).uniform(size=len(y)) < raw**2).astype(int)  # the model is too high
    c = fit_calibration(raw[:1000], labels[:1000], 0, method)
    f = export_onnx(m, X.shape[1], tmp_path / "m.onnx", 17, c)
    served = onnx_predict(onnx_session(f), X)
    assert served.dtype == np.float32 and served.shape == (len(X),)
    # the map itself is exact (below); float32 differences between the model's library and ONNX Runtime (~1e-7)
    # are multiplied by the map's slope, which is steep where this untrained network's narrow range is stretched
    assert np.abs(served - c.apply(raw)).max() <= 1e-5
    assert np.abs(served - raw).max() > 0.05  # it is not the raw model
    assert ece(labels[1000:], served[1000:]) < ece(labels[1000:], raw[1000:])
    meta = {p.key: p.value for p in onnx.load(str(f)).metadata_props}
    assert json.loads(meta["calibration"])["method"] == method
    one = onnx_predict(onnx_session(f), X[:1])  # batch 1 and the edges of [0, 1] through the map alone
    assert one.shape == (1,) and abs(one[0] - c.apply(raw[:1])[0]) <= 1e-5
    assert [o.name for o in onnx.load(str(f)).graph.output] == ["probability"]
    edge = np.array([0.0, 1e-12, 0.5, 1 - 1e-9, 1.0], np.float32)
    import onnxruntime as ort
    from onnx import TensorProto, helper

    ident = helper.make_model(
        helper.make_graph(
            [helper.make_node("Identity", ["features"], ["probability"])],
            "p",
            [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch"])],
            [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["batch"])],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
        ir_version=8,
    )
    s = ort.InferenceSession(calibration_onnx(ident, c).SerializeToString(), providers=["CPUExecutionProvider"])
    assert np.abs(s.run(None, {"features": edge})[0] - c.apply(edge)).max() <= 1e-6
    x = np.linspace(0, 1, 10001, dtype=np.float32)
    assert np.abs(s.run(None, {"features": x})[0] - c.apply(x)).max() <= 1e-6


def test_int8_quantisation_keeps_the_calibration(models, tmp_path):
    from nbs_lib.export import export_onnx, quantize_int8
    from nbs_lib.runtime import onnx_predict, onnx_session
    from nbs_lib.train import predict_proba

    X, y, ms = models
    raw = predict_proba(ms["mlp"], X)
    labels = (np.random.default_rng(1).uniform(size=len(y)) < raw**2).astype(int)
    c = fit_calibration(raw, labels, 0, "isotonic")
    q = quantize_int8(export_onnx(ms["mlp"], X.shape[1], tmp_path / "m.onnx", 17, c), tmp_path / "m.int8.onnx")
    served = onnx_predict(onnx_session(q), X)
    assert np.abs(served - c.apply(raw)).max() < 0.05 and np.abs(served - raw).max() > 0.05


def test_none_leaves_the_graph_alone_and_a_missing_output_is_named(models, tmp_path):
    import onnx

    from nbs_lib.export import gbdt_onnx

    X, _, ms = models
    g = gbdt_onnx(ms["lightgbm"], X.shape[1])
    assert calibration_onnx(g, Calibrator()).SerializeToString() == g.SerializeToString()
    c = Calibrator("platt", {"a": 1.0, "b": 0.0})
    with pytest.raises(ValueError, match="no output 'score'"):
        calibration_onnx(g, c, output="score")
    old = onnx.ModelProto()
    old.CopyFrom(g)
    old.opset_import[0].version = 11
    with pytest.raises(ValueError, match="opset >= 13"):
        calibration_onnx(old, c)


def test_export_targets_prove_the_calibrated_graph(models, tmp_path):
    from nbs_lib.export import export_report, export_targets

    X, y, ms = models
    raw = ms["lightgbm"].predict_proba(X)
    labels = (np.random.default_rng(1).uniform(size=len(y)) < raw**2).astype(int)
    c = fit_calibration(raw, labels, 0, "platt")
    cfg = {"latency_repeats": 5, "opset": 17, "limits": {"onnx-fp32": {"max_abs_diff": 1e-4}}}
    ex = export_targets(ms["lightgbm"], X, labels, tmp_path, cfg, targets=["onnx-fp32"], calibrator=c)
    t = ex["targets"]["onnx-fp32"]
    assert t["status"] == "ok" and t["parity"]["max_abs_diff"] <= 1e-6
    rep = export_report("lightgbm", ex, tmp_path)
    assert rep["calibration"]["method"] == "platt" and rep["key_figures"]["calibration"] == "platt"
    # the proof is against the calibrated reference: the uncalibrated graph fails it
    from nbs_lib.export import export_onnx, target_report
    from nbs_lib.runtime import onnx_predict, onnx_session

    export_onnx(ms["lightgbm"], X.shape[1], tmp_path / "raw/model.onnx")

    s = onnx_session(tmp_path / "raw/model.onnx")
    mixed = target_report(
        "onnx-fp32",
        tmp_path / "raw/model.onnx",
        onnx_predict(s, X),
        c.apply(raw),
        labels,
        lambda a: s.run(None, {"features": a}),
        ex["baseline"],
        cfg["limits"]["onnx-fp32"],
        repeats=5,
        X=X,
    )
    assert mixed["status"] == "failed" and "max_abs_diff" in mixed["reason"]


# --- the pipeline: evaluate records it, export serves it ----------------------------------------------------


def test_the_pipeline_serves_and_records_the_calibration(built):
    import onnx
    import pandas as pd

    from nbs_lib.runtime import onnx_predict, onnx_session

    P = built["products"]
    m = json.loads((P / "05_evaluation/metrics.json").read_text())
    c = m["calibration"]
    assert c["method"] in METHODS and c["rows"] > MIN_ROWS and set(c["brier"]) == set(METHODS)
    assert c["chosen_by"] == "cross-fitted validation Brier score" and c["reason"]
    before, after = c["test"]["before"], c["test"]["after"]
    assert m["test"] == after == m["candidates"][m["chosen"]]["test"]  # the figures are of the served model
    assert abs(after["roc_auc"] - before["roc_auc"]) < 0.005
    if c["method"] != "none":
        assert c["brier"][c["method"]] < c["brier"]["none"]
    pred = pd.read_parquet(P / "05_evaluation/test_predictions.parquet")
    cal = Calibrator.from_dict(c)
    served, raw = pred[f"p_{m['chosen']}"].to_numpy(), pred[f"raw_{m['chosen']}"].to_numpy()
    assert np.abs(served - cal.apply(raw)).max() <= 1e-4  # export.limits onnx-fp32
    d = np.load(P / "03_features/features.npz")
    onnx_p = onnx_predict(onnx_session(P / "06_export/model.onnx"), d["X_test"])
    assert np.abs(served - onnx_p).max() <= 1e-6  # stored = what the exported file serves
    assert after["ece"] == pytest.approx(ece(pred["y"], served))
    meta = {p.key: p.value for p in onnx.load(str(P / "06_export/model.onnx")).metadata_props}
    assert json.loads(meta.get("calibration", '{"method": "none"}'))["method"] == c["method"]
    e = json.loads((P / "06_export/export.json").read_text())
    assert e["calibration"]["method"] == c["method"] and e["targets"]["onnx-fp32"]["status"] == "ok"
    page = (P / "reports/evaluate.html").read_text()
    assert "Calibration of the chosen model" in page and "Test ECE" in page  # and the diagram, as an image
