"""Performance estimation on unlabelled batches (`nbs_lib.estimate`): planted covariate shift is estimated within
its interval, each assumption check refuses when its assumption fails and passes when it holds, and a pure concept
shift is reported as invisible to the estimate."""

import json
import os

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from nbs_lib.estimate import BLIND_TO, beside_realised, estimate_performance, realised_metrics


def world(n: int, seed: int, shift: float = 0.0):
    "Rows of two inputs, the true probability (a calibrated model) and labels drawn from it; `shift` moves input x0."
    g = np.random.default_rng(seed)
    x = g.normal(size=(n, 2)) + (shift, 0)
    p = 1 / (1 + np.exp(-(2 * x[:, 0] + x[:, 1] - 0.5)))
    return x, p, (g.uniform(size=n) < p).astype(int)


def sharpen(p, k: float = 3.0):
    "An over-confident model: the logits multiplied by k."
    return 1 / (1 + np.exp(-k * np.log(p / (1 - p))))


@pytest.fixture(scope="module")
def ref():
    return world(10_000, 0)


@pytest.mark.parametrize("method", ["cbpe", "iw"])
def test_covariate_shift_estimated_close_to_realised(ref, method):
    _, p_ref, y_ref = ref
    _, p, y = world(5_000, 1, shift=1.0)
    seen = beside_realised(estimate_performance(p, p_ref, y_ref, method=method), p, y)
    assert seen["status"] == "estimated"
    assert abs(seen["metrics"]["roc_auc"]["error"]) < 0.015
    assert abs(seen["metrics"]["accuracy"]["error"]) < 0.015
    assert seen["realised"]["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert seen["realised"]["accuracy"] == pytest.approx(accuracy_score(y, p >= 0.5))


@pytest.mark.parametrize("method", ["cbpe", "iw"])
def test_intervals_hold_the_realised_value_in_most_batches(ref, method):
    _, p_ref, y_ref = ref
    held = []
    for seed in range(40):
        _, p, y = world(2_000, 100 + seed, shift=0.5)
        m = beside_realised(estimate_performance(p, p_ref, y_ref, method=method), p, y)["metrics"]
        held += [m["roc_auc"]["inside"], m["accuracy"]["inside"]]
    assert np.mean(held) >= 0.8


def test_calibration_check_refuses_a_miscalibrated_model_and_passes_a_calibrated_one(ref):
    _, p_ref, y_ref = ref
    _, p, _ = world(5_000, 2)
    refused = estimate_performance(sharpen(p), sharpen(p_ref), y_ref)
    assert (refused["status"], refused["metrics"], refused["confusion"]) == ("refused", None, None)
    assert not refused["checks"]["calibration"]["passed"]
    assert "not calibrated" in refused["reasons"][0]
    assert estimate_performance(p, p_ref, y_ref)["checks"]["calibration"]["passed"]
    under = estimate_performance(sharpen(p, 0.4), sharpen(p_ref, 0.4), y_ref)  # under-confident
    assert under["status"] == "refused"


def test_coverage_check_refuses_rows_the_reference_never_saw(ref):
    x_ref, p_ref, y_ref = ref
    x, p, _ = world(5_000, 3)
    ref_rows = pd.DataFrame({"x0": x_ref[:, 0], "kind": np.where(x_ref[:, 1] > 0, "a", "b")})
    inside = pd.DataFrame({"x0": x[:, 0], "kind": np.where(x[:, 1] > 0, "a", "b")})
    assert estimate_performance(p, p_ref, y_ref, ref_rows=ref_rows, rows=inside)["status"] == "estimated"
    numeric = inside.assign(x0=inside["x0"] + 10)  # beyond the reference's range
    unseen = inside.assign(kind="c")  # a category the reference never had
    for rows, column in ((numeric, "x0"), (unseen, "kind")):
        r = estimate_performance(p, p_ref, y_ref, ref_rows=ref_rows, rows=rows)
        assert r["status"] == "refused" and r["metrics"] is None
        assert r["checks"]["coverage"]["by"][column] == 1.0


def test_coverage_check_refuses_scores_the_reference_never_had():
    _, p_ref, y_ref = world(10_000, 4)
    low = p_ref < 0.5  # a reference whose model never scored above 0.5 ...
    p = np.full(1_000, 0.97)  # ... and a batch scored 0.97
    r = estimate_performance(p, p_ref[low], y_ref[low])
    assert r["status"] == "refused"
    assert r["checks"]["coverage"]["by"]["score"] == 1.0


def test_size_check_refuses_a_tiny_batch_and_passes_a_large_one(ref):
    _, p_ref, y_ref = ref
    _, p, _ = world(5_000, 5)
    tiny = estimate_performance(p[:40], p_ref, y_ref)
    assert tiny["status"] == "refused"
    assert [k for k, c in tiny["checks"].items() if not c["passed"]] == ["size"]
    assert estimate_performance(p, p_ref, y_ref)["checks"]["size"]["passed"]
    wide = estimate_performance(p[:40], p_ref, y_ref, policy={"max_width": 0.5})
    assert wide["status"] == "estimated"


def test_auto_uses_importance_weighting_on_a_small_reference_and_cbpe_on_a_large_one(ref):
    _, p_ref, y_ref = ref
    _, p, _ = world(3_000, 8)
    assert estimate_performance(p, p_ref[:2_000], y_ref[:2_000])["method"] == "iw"
    assert estimate_performance(p, p_ref, y_ref)["method"] == "cbpe"


def test_pure_concept_shift_is_invisible_and_said_so(ref):
    _, p_ref, y_ref = ref
    x, p, y = world(5_000, 6)
    flipped = np.where(x[:, 1] > 0.5, 1 - y, y)
    est = estimate_performance(p, p_ref, y_ref)
    seen = beside_realised(est, p, flipped)
    assert est["status"] == "estimated" and est["blind_to"] == BLIND_TO
    assert seen["metrics"]["roc_auc"]["realised"] < seen["metrics"]["roc_auc"]["low"]
    assert seen["metrics"]["accuracy"]["error"] > 0.05


def test_result_is_plain_json_with_the_expected_confusion_matrix(ref):
    _, p_ref, y_ref = ref
    _, p, y = world(3_000, 7)
    est = json.loads(json.dumps(estimate_performance(p, p_ref, y_ref)))
    c = est["confusion"]
    assert sum(c.values()) == pytest.approx(3_000)
    real = realised_metrics(p, y)["confusion"]
    for k in ("tp", "fp", "fn", "tn"):
        assert abs(c[k] - real[k]) < 0.03 * 3_000


# ---------------------------------------------------------------- in the monitoring job
@pytest.fixture(scope="module")
def version(tmp_path_factory):
    "A model version as the registry keeps one: a real ONNX model, its transform, metrics and labelled holdout rows."
    from nbs_lib.config import load_env, write_json
    from nbs_lib.data import encode_labels, feature_columns, load_split, profile_types, write_rows
    from nbs_lib.drift import profile_reference
    from nbs_lib.evaluate import binary_metrics
    from nbs_lib.export import export_onnx
    from nbs_lib.features import fit_transform_spec, save_spec, transform
    from nbs_lib.runtime import onnx_predict, onnx_session
    from nbs_lib.train import fit_baseline

    env = load_env()
    ds = env["dataset"]
    train, _ = load_split(env, "train")
    test, _ = load_split(env, "test")
    f = feature_columns(env, train.columns, train)
    fit = train.sample(8000, random_state=0)
    spec = fit_transform_spec(fit, profile_types(fit, f))
    model = fit_baseline(transform(spec, fit), encode_labels(fit[ds["target"]], ds["positive_label"]), max_iter=300)
    d = tmp_path_factory.mktemp("version")
    export_onnx(model, transform(spec, fit.iloc[:1]).shape[1], d / "model.onnx")
    save_spec(spec, d / "transform.json")
    holdout, pool = test.iloc[:5000], test.iloc[5000:]
    write_rows(holdout, d / "holdout.parquet")
    session = onnx_session(d / "model.onnx")
    p = onnx_predict(session, transform(spec, holdout))
    write_json(
        d / "metrics.json", {"test": binary_metrics(encode_labels(holdout[ds["target"]], ds["positive_label"]), p)}
    )
    pool = pool.assign(_p=onnx_predict(session, transform(spec, pool)))
    return {"dir": d, "env": env, "profile": profile_reference(holdout[f], predictions=p), "pool": pool}


def _check(version, rows, tmp_path, name, labelled=False, policy=None):
    "A batch file through the drift job's own reading and checking, with the version's holdout as the estimate's reference."
    from nbs_lib.config import read_json
    from nbs_lib.driftjob import estimation_reference, monitor_batch, needed_columns, read_batches

    ds = version["env"]["dataset"]
    rows = rows.drop(columns=["_p"] + ([] if labelled else [ds["target"]]))
    (tmp_path / name).write_text(rows.to_csv(index=False))
    batch = read_batches([tmp_path / name], columns=needed_columns(version["profile"], version["dir"], ds["target"]))
    metrics = read_json(version["dir"] / "metrics.json")
    ref = estimation_reference(version["dir"], version["dir"] / "holdout.parquet", ds, metrics)
    drift = version["env"]["drift"] | {"estimate": version["env"]["drift"]["estimate"] | (policy or {})}
    return monitor_batch(batch, version["profile"], version["dir"], metrics, drift, dataset=ds, estimate_reference=ref)


def test_the_drift_job_estimates_an_unlabelled_batch_and_writes_it_in_the_drift_product(version, tmp_path):
    from nbs_lib.products import write_product

    out = _check(version, version["pool"].iloc[:4000], tmp_path, "clean.csv")
    e = out["estimate"]
    assert (e["status"], e["drop"], e["metric"]) == ("estimated", False, "roc_auc")
    assert e["metrics"]["roc_auc"]["low"] <= e["baseline"] <= e["metrics"]["roc_auc"]["high"] + 0.02
    assert out["alert"]["signals"]["estimate"] is False
    written = json.loads(write_product("drift", tmp_path / "drift.json", out).read_text())
    assert written["estimate"]["metrics"]["roc_auc"] == e["metrics"]["roc_auc"]


def test_an_estimated_drop_beyond_the_policy_is_a_model_alert_apart_from_data_drift(version, tmp_path):
    from nbs_lib.monitor import _drift_alerts

    hard = version["pool"][version["pool"]["_p"].between(0.3, 0.7)]  # hard cases only: ROC AUC far below the test value
    out = _check(version, hard, tmp_path, "hard.csv")
    e = out["estimate"]
    assert e["status"] == "estimated" and e["drop"] is True
    assert e["metrics"]["roc_auc"]["high"] < e["baseline"] - e["max_drop"]
    assert out["alert"]["fired"] and "estimated roc_auc" in out["alert"]["message"]
    kinds = {a["kind"]: a["layer"] for a in _drift_alerts(out, "hard.csv")}
    assert kinds["estimated performance drop"] == "model"
    assert kinds["data drift"] == "data"
    assert _check(version, hard, tmp_path, "hard.csv", policy={"max_drop": 0.5})["estimate"]["drop"] is False


def test_a_labelled_batch_shows_the_realised_values_beside_the_estimate(version, tmp_path):
    out = _check(version, version["pool"].iloc[:4000], tmp_path, "labelled.csv", labelled=True)
    e = out["estimate"]
    assert e["realised"]["roc_auc"] == pytest.approx(out["concept"]["metrics"]["roc_auc"]["current"], abs=1e-6)
    assert abs(e["beside"]["roc_auc"]["error"]) < 0.03 and abs(e["beside"]["accuracy"]["error"]) < 0.03


def test_the_estimate_can_be_switched_off_and_refuses_without_alerting(version, tmp_path):
    off = _check(version, version["pool"].iloc[:500], tmp_path, "off.csv", policy={"enabled": False})
    assert (off["estimate"], off["skipped"]["estimate"]) == (None, "drift.estimate.enabled is false")
    tiny = _check(version, version["pool"].iloc[:60], tmp_path, "tiny.csv")
    assert tiny["estimate"]["status"] == "refused" and tiny["estimate"]["metrics"] is None
    assert tiny["alert"]["signals"]["estimate"] is False


def test_the_estimate_policy_defaults_are_the_library_defaults():
    from nbs_lib.driftjob import ESTIMATE_DEFAULTS
    from nbs_lib.estimate import DEFAULT_POLICY
    from nbs_lib.settings import Settings

    d = Settings.model_construct().drift.estimate.model_dump()
    assert {k: d[k] for k in ESTIMATE_DEFAULTS} == ESTIMATE_DEFAULTS
    assert {k: d[k] for k in ("max_ece", "max_uncovered", "max_width")} == {
        k: DEFAULT_POLICY[k] for k in ("max_ece", "max_uncovered", "max_width")
    }


# ---------------------------------------------------------------- in the panel's timeline and the readiness item Mo7
def _mo7(verdicts: list, tmp_path, labelled: bool = False):
    "Mo7 on a copy of the recorded project whose batches carry these real drift verdicts (oldest first)."
    import nbs_lib.checks_monitoring  # noqa: F401  (registers the monitoring items' evaluators)
    from nbs_lib.checks import Plant

    def change(root):
        mon, led = root / "products/uci-adult/monitoring", root / "products/uci-adult/ledger.jsonl"
        for p in mon.glob("*/drift.json"):
            p.unlink()
        lines = []
        for k, v in enumerate(verdicts):
            (mon / f"b{k}").mkdir()
            (mon / f"b{k}" / "drift.json").write_text(json.dumps(v))
            os.utime(mon / f"b{k}" / "drift.json", (1e9 + k, 1e9 + k))  # the newest verdict is the newest file
            lines.append({"file": f"b{k}.csv", "status": "ok", "labelled": labelled, "rows_in": v["n_rows"]})
        led.write_text("".join(json.dumps(e) + "\n" for e in lines))

    return Plant("Mo7", "?", "real verdicts", change).run(tmp_path / "project")


@pytest.fixture(scope="module")
def verdicts(version, tmp_path_factory):
    "Real drift verdicts of the monitoring job: a clean batch, a batch of hard cases (an estimated drop), a tiny batch (refused)."
    d, pool = tmp_path_factory.mktemp("verdicts"), version["pool"]
    return {
        "clean": _check(version, pool.iloc[:4000], d, "clean.csv"),
        "drop": _check(version, pool[pool["_p"].between(0.3, 0.7)], d, "hard.csv"),
        "refused": _check(version, pool.iloc[:60], d, "tiny.csv"),
    }


def test_mo7_without_labels_passes_on_an_estimate_without_drop_and_fails_on_an_estimated_drop(verdicts, tmp_path):
    ok = _mo7([verdicts["drop"], verdicts["clean"]], tmp_path / "ok")
    assert ok.status() == "pass"
    assert ok.measurements[0]["name"].startswith("estimated roc_auc drop on the newest estimated batch (b1)")
    dropped = _mo7([verdicts["clean"], verdicts["drop"]], tmp_path / "drop")
    assert dropped.status() == "fail"
    m = dropped.measurements[0]
    assert m["high"] < m["baseline"] - 0.05 and m["value"] > 0.05


def test_mo7_reads_past_a_newer_refusal_and_is_na_with_the_reasons_when_every_estimate_was_refused(verdicts, tmp_path):
    past = _mo7([verdicts["drop"], verdicts["refused"]], tmp_path / "past")
    assert past.status() == "fail" and past.measurements[0]["refused_since"] == ["b1"]
    refused = _mo7([verdicts["refused"]], tmp_path / "refused")
    assert refused.status() == "n/a"
    assert verdicts["refused"]["estimate"]["reasons"][0] in refused.na_reasons()[0]
    assert _mo7([], tmp_path / "none").status() == "n/a"


def test_mo7_takes_the_realised_value_over_the_estimate_when_labels_came(version, tmp_path):
    hard = version["pool"][version["pool"]["_p"].between(0.3, 0.7)]
    out = _check(version, hard, tmp_path, "hard.csv", labelled=True)
    assert out["estimate"]["drop"] is True and out["concept"] is not None
    item = _mo7([out], tmp_path / "labelled", labelled=True)
    assert item.measurements[0]["name"].startswith("roc_auc drop on the newest labelled batch")
    assert item.measurements[0]["batch_value"] == pytest.approx(out["estimate"]["realised"]["roc_auc"], abs=1e-6)


def test_the_panel_timeline_shows_each_batch_estimate_refusal_and_realised_value(verdicts, version, tmp_path):
    from nbs_lib.app import batch_timeline

    products, lines = tmp_path / "products", []
    labelled = _check(version, version["pool"].iloc[:4000], tmp_path, "labelled.csv", labelled=True)
    for name, v in [*verdicts.items(), ("labelled", labelled)]:
        (products / "monitoring" / name).mkdir(parents=True)
        (products / "monitoring" / name / "drift.json").write_text(json.dumps(v))
        state = {
            "drift_checked": {"at": "2026-12-01T20:00:00+00:00", "outcome": v["outcome"], "model_version": "v0001"}
        }
        lines.append({"file": f"{name}.csv", "status": "ok", "labelled": name == "labelled", "state": state})
    (products / "ledger.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))
    rows = {r["batch"]: r for r in batch_timeline(products)}
    assert list(rows) == ["labelled.csv", "refused.csv", "drop.csv", "clean.csv"]
    drop = rows["drop.csv"]["estimate"]
    assert (drop["status"], drop["drop"]) == ("estimated", True)
    assert drop["low"] <= drop["estimate"] <= drop["high"] < drop["baseline"] - drop["max_drop"]
    assert rows["drop.csv"]["signals"]["estimate"] is True and rows["drop.csv"]["outcome"] == "alert"
    assert rows["clean.csv"]["estimate"]["drop"] is False
    assert rows["refused.csv"]["estimate"]["reasons"] == verdicts["refused"]["estimate"]["reasons"]
    assert rows["labelled.csv"]["estimate"]["realised"] == pytest.approx(
        labelled["concept"]["metrics"]["roc_auc"]["current"]
    )


def test_the_panel_timeline_carries_each_batch_feature_trend_capped_and_a_link_to_its_own_report(verdicts, tmp_path):
    from nbs_lib.app import batch_timeline

    products, lines = tmp_path / "products", []
    for name, v in verdicts.items():
        out = products / "monitoring" / name
        out.mkdir(parents=True)
        (out / "drift.json").write_text(json.dumps(v))
        if name != "refused":  # the refused batch's notebook and HTML are gone
            (out / "drift.ipynb").write_text("{}")
        if name == "clean":  # the others: no HTML
            (out / "drift.html").write_text("<html></html>")
        done = {"at": "2026-12-01T20:00:00+00:00", "outcome": v["outcome"], "report": str(out / "drift.html")}
        lines.append({"file": f"{name}.csv", "status": "ok", "state": {"drift_checked": done}})
    (products / "ledger.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))
    rows = {r["batch"]: r for r in batch_timeline(products)}
    mon = products / "monitoring"
    assert [rows[f"{n}.csv"]["report"] for n in verdicts] == [
        str(mon / "clean" / "drift.html"),
        str(mon / "drop" / "drift.ipynb"),
        None,
    ]
    drop, cols = rows["drop.csv"]["features"], verdicts["drop"]["columns"]
    assert {c for c, f in drop.items() if f["drifted"]} == set(verdicts["drop"]["alert"]["drifted_columns"]) != set()
    age = drop["age"]
    assert (age["severity"], age["method"]) == (cols["age"]["severity"], cols["age"]["method"])
    assert age["score"] == pytest.approx(cols["age"]["statistic"] / cols["age"]["threshold"], rel=1e-3)
    every = set(cols) | set(verdicts["clean"]["columns"])
    assert set(drop) == every and rows["drop.csv"]["features_left_out"] == 0  # 11 columns: none left out
    narrow = {r["batch"]: r for r in batch_timeline(products, top=1)}
    kept = set(narrow["drop.csv"]["features"])
    drifted = {c for v in verdicts.values() for c, x in v["columns"].items() if x["drifted"]}
    assert drifted < kept and len(kept - drifted) == 1  # every feature that ever drifted, then the top one by score
    assert narrow["clean.csv"]["features_left_out"] == len(every) - len(kept) > 0
    capped = batch_timeline(products, top=5, max_features=2)
    assert len(capped[0]["features"]) <= 2 and capped[0]["features_left_out"] == len(every) - 2
