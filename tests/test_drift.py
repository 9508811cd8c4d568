"""Drift monitoring: the `nbs_lib.drift` contract, its edge cases and small-sample behaviour, profile-vs-raw agreement,
planted drift on UCI Adult, and the papermill monitoring notebook on a drifted and a clean batch."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import ROOT
from nbs_lib.config import load_env, read_json, write_json
from nbs_lib.data import encode_labels, feature_columns, load_split
from nbs_lib.drift import (
    DriftReport,
    concept_drift,
    detect_drift,
    load_profile,
    prediction_drift,
    profile_reference,
    save_profile,
    typed_like,
)

TARGET, POSITIVE = "income", ">50K"


@pytest.fixture(scope="module")
def adult():
    "adult.test as text rows, split into a reference half and a current half."
    env = load_env(root=ROOT)
    rows, _ = load_split(env, "test", ROOT)
    rows = rows.iloc[np.random.default_rng(0).permutation(len(rows))].reset_index(drop=True)
    cols = feature_columns(env, rows.columns)
    return {"ref": rows.iloc[:8000], "cur": rows.iloc[8000:], "features": cols}


def drifted(rows: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    "The simulator's kind of drift: ages +8 years, hours ×1.15, half the 'Private' rows gone."
    g = np.random.default_rng(seed)
    d = rows.copy()
    d["age"] = (pd.to_numeric(d["age"]) + 8).astype(int).astype(str)
    d["hours-per-week"] = (pd.to_numeric(d["hours-per-week"]) * 1.15).round().astype(int).astype(str)
    return d[~((d["workclass"] == "Private") & (g.random(len(d)) < 0.5))]


@pytest.fixture(scope="module")
def profile(adult):
    return profile_reference(adult["ref"][adult["features"]])


# ---------------------------------------------------------------- the contract
def test_report_contract_and_json(adult, profile, tmp_path):
    rep = detect_drift(profile, adult["cur"][adult["features"]].iloc[:3000])
    d = rep.to_dict()
    assert set(d) == {"drifted", "columns"} and isinstance(d["drifted"], bool)
    assert list(d["columns"]) == adult["features"]
    for _name, e in d["columns"].items():
        assert isinstance(e["drifted"], bool) and isinstance(e["method"], str)
        assert isinstance(e["statistic"], float) and isinstance(e["threshold"], float)
        assert e["p_value"] is None or 0.0 <= e["p_value"] <= 1.0
        assert {"severity", "reason", "missing_share", "histogram", "n_reference", "n_current"} <= set(e)
        h = e["histogram"]
        assert len(h["reference"]) == len(h["current"]) and ("edges" in h or "categories" in h)
    assert json.loads(json.dumps(d, allow_nan=False)) == d  # strict JSON: no NaN or Infinity
    save_profile(profile, tmp_path / "p.json")
    again = detect_drift(load_profile(tmp_path / "p.json"), adult["cur"][adult["features"]].iloc[:3000])
    assert again.to_dict() == d
    assert DriftReport.from_dict(d).drifted_columns == rep.drifted_columns


def test_profile_size_does_not_grow_with_rows(adult):
    small = len(json.dumps(profile_reference(adult["ref"][adult["features"]].iloc[:4000])))
    big = len(json.dumps(profile_reference(pd.concat([adult["ref"], adult["cur"]])[adult["features"]])))
    assert big < 1.5 * small


# ---------------------------------------------------------------- planted drift on Adult
def test_clean_half_is_not_flagged_and_drifted_half_is(adult, profile):
    f = adult["features"]
    clean = detect_drift(profile, adult["cur"][f])
    assert not clean.drifted, clean.drifted_columns
    moved = detect_drift(profile, drifted(adult["cur"])[f])
    assert {"age", "hours-per-week", "workclass"} <= set(moved.drifted_columns)
    assert set(moved.drifted_columns) <= {
        "age",
        "hours-per-week",
        "workclass",
        "occupation",
    }  # occupation follows workclass
    assert moved.columns["age"]["severity"] == "high"


def test_profile_and_raw_reference_agree(adult, profile):
    "Same decisions; PSI/chi2/JS identical, KS within one bin's share, Wasserstein within 0.01 + 2 %."
    f = adult["features"]
    for cur in [adult["cur"][f].iloc[:4000], drifted(adult["cur"])[f].iloc[:4000]]:
        a, b = detect_drift(adult["ref"][f], cur), detect_drift(profile, cur)
        for c in f:
            ea, eb = a.columns[c], b.columns[c]
            assert ea["drifted"] == eb["drifted"], c
            for t, ta in ea["tests"].items():
                x, y = ta["statistic"], eb["tests"][t]["statistic"]
                tol = {"ks": 0.015, "wasserstein": 0.01 + 0.02 * abs(x)}.get(t, 1e-9)
                assert abs(x - y) <= tol, (c, t, x, y)


# ---------------------------------------------------------------- small samples
def test_small_batches_do_not_false_alarm_but_catch_large_shifts(adult, profile):
    f = adult["features"]
    g = np.random.default_rng(3)
    for m in (10, 30, 100):
        alarms = [
            detect_drift(profile, adult["cur"][f].iloc[g.choice(8281, m, replace=False)]).drifted for _ in range(15)
        ]
        assert sum(alarms) == 0, m
    big = adult["cur"][f].iloc[:30].copy()
    big["age"] = (pd.to_numeric(big["age"]) + 30).astype(str)
    assert detect_drift(profile, big).drifted_columns == ["age"]


def test_below_minimum_rows_a_column_is_not_judged(adult, profile):
    cur = adult["cur"][adult["features"]].iloc[:3].copy()
    cur["age"] = "90"
    rep = detect_drift(profile, cur)
    assert not rep.drifted
    assert all(e["severity"] == "n/a" and "minimum 5" in e["reason"] for e in rep.columns.values())


# ---------------------------------------------------------------- edge cases
def test_bad_input_names_the_column_and_problem(adult, profile):
    cur = adult["cur"][adult["features"]].iloc[:50]
    with pytest.raises(ValueError, match="column 'age' is in the reference but missing"):
        detect_drift(profile, cur.drop(columns="age"))
    with pytest.raises(ValueError, match="column 'extra' is in the current data but not in the reference"):
        detect_drift(profile, cur.assign(extra=1))
    with pytest.raises(ValueError, match="reference data is empty"):
        detect_drift(adult["ref"].iloc[:0], cur)
    with pytest.raises(ValueError, match="column 'hours-per-week'.*not numbers.*'forty'"):
        detect_drift(profile, cur.assign(**{"hours-per-week": "forty"}))
    with pytest.raises(ValueError, match="column 'workclass'.*datetimes"):
        detect_drift(profile, cur.assign(workclass=pd.Timestamp("2026-01-01")))
    with pytest.raises(ValueError, match="not a drift profile"):
        detect_drift({"columns": {}}, cur)


def test_missing_share_unseen_categories_and_constant_columns(adult, profile):
    cur = adult["cur"][adult["features"]].iloc[:2000].copy()
    cur.loc[cur.index[:400], "occupation"] = None
    cur.loc[cur.index[:300], "native-country"] = "Atlantis"
    rep = detect_drift(profile, cur)
    assert rep.columns["occupation"]["method"] == "missing" and rep.columns["occupation"]["drifted"]
    e = rep.columns["native-country"]
    assert e["drifted"] and e["method"] == "unseen" and e["unseen_examples"] == ["Atlantis"]
    const = profile_reference(pd.DataFrame({"v": np.ones(500)}))
    assert not detect_drift(const, pd.DataFrame({"v": np.ones(40)})).drifted
    assert detect_drift(const, pd.DataFrame({"v": np.full(40, 2.0)})).drifted


def test_heavy_tails_and_configured_datetimes():
    g = np.random.default_rng(0)
    on = {"methods": {"t": ["ks", "psi", "wasserstein"]}}
    ref = pd.DataFrame(
        {
            "gain": g.pareto(1.2, 30_000),
            "t": pd.Timestamp("2025-01-01") + pd.to_timedelta(g.integers(0, 365, 30_000), unit="D"),
        }
    )
    prof = profile_reference(ref)
    for n in (50, 500, 5000):
        cur = pd.DataFrame(
            {
                "gain": g.pareto(1.2, n),
                "t": pd.Timestamp("2025-01-01") + pd.to_timedelta(g.integers(0, 365, n), unit="D"),
            }
        )
        assert not detect_drift(prof, cur, **on).drifted, n
    later = pd.DataFrame(
        {
            "gain": g.pareto(1.2, 500),
            "t": pd.Timestamp("2025-06-01") + pd.to_timedelta(g.integers(0, 365, 500), unit="D"),
        }
    )
    assert detect_drift(prof, later, **on).drifted_columns == ["t"]


# ---------------------------------------------------------------- every column type (#14): the bundled data sets
@pytest.fixture(scope="module")
def german():
    "UCI Statlog German credit (coded categoricals, small-integer codes): the first 700 rows and the last 300."
    import yaml

    names = yaml.safe_load((ROOT / "data/german-credit/env.dataset.yaml").read_text())["dataset"]["format"]["names"]
    df = pd.read_csv(ROOT / "data/german-credit/german.data", sep=" ", header=None, names=names)
    return df.iloc[:700], df.iloc[700:].reset_index(drop=True)


@pytest.fixture(scope="module")
def penguins():
    "Palmer penguins raw (ids, a date, free text, NA markers) as text: the seasons before PAL0910 and PAL0910."
    df = pd.read_csv(ROOT / "data/palmer-penguins/penguins-raw.csv", na_values=["NA"], keep_default_na=False, dtype=str)
    return df[df.studyName != "PAL0910"], df[df.studyName == "PAL0910"]


def late_payments(n: int, seed: int) -> np.ndarray:
    "A zero-inflated small-integer count (0 for 97 % of rows, else 1..14): heavy-looking top, few distinct values."
    return np.where(np.random.default_rng(seed).random(n) < 0.97, 0, np.random.default_rng(seed + 1).integers(1, 15, n))


def test_a_small_integer_column_never_gets_a_method_it_cannot_run(german):
    "The library once picked `tail` (heavy-tail test) for a discrete column, then refused it: drift crashed."
    ref, cur = german
    prof = profile_reference(ref.assign(late_payments=late_payments(len(ref), 0)))
    rep = detect_drift(prof, cur.assign(late_payments=late_payments(len(cur), 2)))
    e = rep.columns["late_payments"]
    assert (e["kind"], e["status"], e["drifted"]) == ("discrete", "compared", False) and "tail" not in e["tests"]
    assert not rep.drifted  # German credit against itself


def test_small_integer_codes_are_discrete_and_new_codes_are_unseen(german):
    ref, cur = german
    prof = profile_reference(ref)
    assert [
        prof["columns"][c]["kind"] for c in ("installment_rate", "residence_since", "existing_credits", "people_liable")
    ] == ["discrete"] * 4
    e = detect_drift(
        prof, cur.assign(existing_credits=np.where(np.arange(len(cur)) < 60, 5, cur.existing_credits))
    ).columns["existing_credits"]
    assert e["drifted"] and e["tests"]["unseen"]["drifted"] and e["unseen_share"] == 0.2
    e = detect_drift(prof, cur.assign(existing_credits=np.arange(len(cur)) % 40 + 1)).columns[
        "existing_credits"
    ]  # 40 distinct values
    assert (e["kind"], e["status"], e["drifted"]) == ("discrete", "compared", True)


def test_datetimes_and_identifiers_are_skipped_with_a_reason_unless_configured(penguins):
    ref, cur = penguins
    prof = profile_reference(ref)
    rep = detect_drift(prof, cur)
    skipped = {c: e["reason"] for c, e in rep.columns.items() if e["status"] == "skipped"}
    assert set(skipped) == {"Individual ID", "Date Egg"} and rep.summary["skipped"] == skipped
    assert skipped["Individual ID"].startswith("identifier-like: every value is new")
    assert skipped["Date Egg"].startswith("datetime column: skipped")
    assert not any(rep.columns[c]["drifted"] for c in skipped)
    configured = detect_drift(prof, cur, methods={"Date Egg": ["ks"], "Individual ID": ["chi2"]})
    assert configured.columns["Date Egg"]["drifted"] and configured.columns["Individual ID"]["status"] == "compared"
    dur = pd.DataFrame({"wait": pd.to_timedelta(np.arange(200) % 50, unit="h")})
    e = detect_drift(profile_reference(dur), dur + pd.Timedelta(days=3)).columns["wait"]
    assert (e["kind"], e["status"], e["drifted"]) == ("timedelta", "skipped", False)
    seq = pd.DataFrame({"row": np.arange(1, 501)})  # row numbers: identifier-like too
    assert detect_drift(profile_reference(seq), seq + 500).columns["row"]["status"] == "skipped"


def test_infinite_values_are_a_share_of_their_own(adult, profile):
    "±inf once aborted the report of a typed batch (the drift job types it with `typed_like` first)."
    cur = adult["cur"][adult["features"]].iloc[:2000].copy()
    cur.loc[cur.index[:3], "capital-gain"] = ["inf", "-inf", "Infinity"]  # a few: counted, the report goes on
    e = detect_drift(profile, typed_like(cur, profile)).columns["capital-gain"]
    assert not e["drifted"] and e["nonfinite_share"]["current"] == 3 / 2000 and not e["tests"]["nonfinite"]["drifted"]
    cur.loc[cur.index[:400], "capital-gain"] = "inf"  # many: the `nonfinite` signal fires
    rep = detect_drift(profile, typed_like(cur, profile))
    e = rep.columns["capital-gain"]
    assert e["drifted"] and e["method"] == "nonfinite" and e["missing_share"]["current"] == 0.0
    assert json.loads(json.dumps(rep.to_dict(), allow_nan=False)) == rep.to_dict()


def test_booleans_are_categories_whatever_their_spelling(adult):
    ref, cur = adult["ref"], adult["cur"].iloc[:3000].reset_index(drop=True)

    def flags(d):
        return pd.DataFrame(
            {"male": (d["sex"] == "Male").to_numpy(), "rich": d["income"].str.startswith(">50K").astype(int).to_numpy()}
        )

    prof = profile_reference(flags(ref))
    assert (prof["columns"]["male"]["kind"], prof["columns"]["rich"]["kind"]) == ("categorical", "discrete")
    text = flags(cur).assign(male=lambda d: d.male.map({True: "TRUE", False: "false"}))
    assert not detect_drift(prof, text).drifted
    assert detect_drift(prof, flags(cur).assign(male=np.arange(3000) % 10 > 0)).drifted_columns == ["male"]


def test_constant_all_missing_and_empty_batches_have_defined_verdicts(penguins, german):
    ref, cur = penguins
    prof = profile_reference(ref)
    assert not detect_drift(prof, cur).columns["Region"]["drifted"]  # constant "Anvers" on both sides
    assert detect_drift(prof, cur.assign(Region="Palmer")).columns["Region"]["method"] == "unseen"
    e = detect_drift(prof, cur.assign(**{"Body Mass (g)": None})).columns["Body Mass (g)"]
    assert e["drifted"] and e["method"] == "missing" and "distribution not compared" in e["reason"]
    empty = detect_drift(profile_reference(german[0]), german[1].iloc[:0])
    assert not empty.drifted and set(empty.summary["not_judged"]) == set(german[1].columns)
    assert all(
        e["status"] == "not judged" and e["reason"] == "the batch has no rows: not compared"
        for e in empty.columns.values()
    )


def test_category_arrow_and_table_inputs_give_the_report_of_the_pandas_object_frame(adult, profile):
    "Issue 19: categories counted on codes or dictionary indices, never as Python objects, with the same outcome."
    cur = typed_like(adult["cur"][adult["features"]].iloc[:3000], profile)
    cur.loc[cur.index[:200], "occupation"] = None  # missing
    cur.loc[cur.index[100:400], "native-country"] = "Atlantis"  # unseen
    cur.loc[cur.index[:50], "age"] = np.nan
    text = [c for c, cp in profile["columns"].items() if cp["kind"] == "categorical"]
    base = detect_drift(profile, cur).to_dict()
    assert base["columns"]["native-country"]["unseen_examples"] == ["Atlantis"]
    assert base["columns"]["occupation"]["missing_share"]["current"] == cur["occupation"].isna().mean() >= 200 / 3000

    def dictionary(s: pd.Series) -> pd.Series:  # three chunks, each with its own dictionary
        parts = [pa.array(s.iloc[i : i + 1000].tolist(), pa.string()).dictionary_encode() for i in (0, 1000, 2000)]
        return pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(parts)), index=s.index)

    forms = {
        "category": cur.astype(dict.fromkeys(text, "category")),
        "string[pyarrow]": cur.astype(dict.fromkeys(text, "string[pyarrow]")),
        "ArrowDtype(dictionary)": cur.assign(**{c: dictionary(cur[c]) for c in text}),
        "pyarrow Table": pa.Table.from_pandas(cur, preserve_index=False),
        "pyarrow Table, dictionary-encoded": pa.Table.from_pandas(
            cur.astype(dict.fromkeys(text, "category")), preserve_index=False
        ),
    }
    for name, frame in forms.items():
        assert detect_drift(profile, frame).to_dict() == base, name


def test_arrow_numbers_and_booleans_with_nulls_read_like_pandas():
    g = np.random.default_rng(3)
    ref = pd.DataFrame({"n": g.integers(0, 1000, 5000), "b": g.random(5000) < 0.3, "x": g.normal(size=5000)})
    prof = profile_reference(ref)
    cur = pd.DataFrame(
        {
            "n": pd.array(np.where(g.random(4000) < 0.1, None, g.integers(0, 1200, 4000)), dtype="Int64"),
            "b": pd.array(np.where(g.random(4000) < 0.1, None, g.random(4000) < 0.5), dtype="boolean"),
            "x": np.where(g.random(4000) < 0.05, np.nan, g.normal(0.5, 1, 4000)),
        }
    )
    base = detect_drift(prof, cur)
    assert set(base.drifted_columns) == {"n", "b", "x"}
    assert base.columns["n"]["missing_share"]["current"] == cur["n"].isna().mean() > 0
    assert detect_drift(prof, pa.Table.from_pandas(cur, preserve_index=False)).to_dict() == base.to_dict()
    assert detect_drift(prof, cur.astype({"x": "double[pyarrow]"})).to_dict() == base.to_dict()


def test_threads_do_not_change_the_report(adult, profile):
    cur = typed_like(drifted(adult["cur"][adult["features"]]), profile)
    one = detect_drift(profile, cur, workers=1)
    assert one.drifted_columns and detect_drift(profile, cur, workers=4).to_dict() == one.to_dict()


def test_current_must_be_a_frame_or_an_arrow_table(profile):
    with pytest.raises(ValueError, match="current must be a pandas DataFrame or a pyarrow Table, not list"):
        detect_drift(profile, [[1, 2]])


def test_prediction_and_concept_drift():
    g = np.random.default_rng(1)
    s = g.beta(2, 5, 10_000)
    assert not prediction_drift(s, g.beta(2, 5, 2000)).drifted
    assert prediction_drift(s, g.beta(4, 4, 2000)).drifted
    y = g.integers(0, 2, 20_000)
    p = 1 / (1 + np.exp(-(2 * y - 1) * 1.2 + g.normal(0, 1, 20_000)))
    from nbs_lib.evaluate import binary_metrics

    ref = binary_metrics(y[:10_000], p[:10_000])
    assert not concept_drift(ref, y[10_000:], p[10_000:])["drifted"]
    flipped = y[10_000:].copy()
    k = g.random(len(flipped)) < 0.3
    flipped[k] = 1 - flipped[k]
    assert concept_drift(ref, flipped, p[10_000:])["drifted"]
    for i in range(0, 2000, 40):  # small clean batches never alarm
        assert not concept_drift(ref, y[10_000 + i : 10_040 + i], p[10_000 + i : 10_040 + i], min_rows=20)["drifted"], i
    mild = y[10_000:].copy()
    k = g.random(len(mild)) < 0.05
    mild[k] = 1 - mild[k]
    assert not concept_drift(ref, mild[:60], p[10_000:10_060])["drifted"]  # a mild drop on 60 rows: not enough evidence
    assert concept_drift(ref, mild, p[10_000:])["drifted"]  # ... on 10,000 rows: confirmed


# ---------------------------------------------------------------- the monitoring notebook
@pytest.fixture(scope="module")
def monitoring(adult, tmp_path_factory):
    "A reference profile with scores, a tiny exported model and its metrics, and a clean and a drifted batch."
    import torch

    from nbs_lib.data import profile_types
    from nbs_lib.evaluate import binary_metrics
    from nbs_lib.export import export_onnx
    from nbs_lib.features import fit_transform_spec, save_spec, transform
    from nbs_lib.runtime import onnx_predict, onnx_session
    from nbs_lib.train import fit_baseline

    d = tmp_path_factory.mktemp("monitor")
    f = adult["features"]
    ref = adult["ref"]
    spec = fit_transform_spec(ref, profile_types(ref, f))
    X = transform(spec, ref)
    y = encode_labels(ref[TARGET], POSITIVE)
    torch.manual_seed(0)
    model = fit_baseline(X, y, max_iter=300)
    (d / "model").mkdir()
    export_onnx(model, X.shape[1], d / "model/model.onnx")
    save_spec(spec, d / "model/transform.json")
    p = onnx_predict(onnx_session(d / "model/model.onnx"), X)
    save_profile(profile_reference(ref[f], predictions=p), d / "profile.json")
    write_json(d / "metrics.json", {"test": binary_metrics(y, p)})
    cur = adult["cur"].iloc[:3000]
    (d / "clean.csv").write_text(cur.to_csv(index=False))
    (d / "drifted.csv").write_text(drifted(cur).to_csv(index=False))
    return d


def papermill(d: Path, batch: str, out: str):
    args = [
        str(Path(sys.executable).parent / "papermill"),
        str(ROOT / "notebooks/_pipeline/monitor_drift.ipynb"),
        str(d / f"{out}.ipynb"),
        "-p",
        "batch_paths",
        json.dumps([str(d / batch)]),
        "-p",
        "profile_path",
        str(d / "profile.json"),
        "-p",
        "model_dir",
        str(d / "model"),
        "-p",
        "reference_metrics_path",
        str(d / "metrics.json"),
        "-p",
        "output_dir",
        str(d / out),
        "--cwd",
        str(ROOT),
        "-k",
        "python3",
    ]
    return subprocess.run(
        args, capture_output=True, text=True, timeout=180, env={**os.environ, "PYTHONWARNINGS": "ignore"}
    )


def test_monitoring_notebook_passes_a_clean_batch(monitoring):
    r = papermill(monitoring, "clean.csv", "clean")
    assert r.returncode == 0, r.stderr[-3000:]
    from nbs_lib.driftjob import verdict_outcome

    assert verdict_outcome(monitoring / "clean/drift.json") == ("ok", "clean.csv: no drift")
    assert _outputs(monitoring / "clean.ipynb")[0].startswith("## Verdict: OK — clean.csv: no drift")
    res = read_json(monitoring / "clean/drift.json")
    assert res["alert"]["fired"] is False and res["drifted"] is False and res["alert"]["message"] == "no drift"
    assert res["prediction"]["drifted"] is False and res["concept"]["drifted"] is False
    assert set(res["concept"]["metrics"]) == {"roc_auc", "accuracy"}
    assert (monitoring / "clean/drift.html").read_text().count("<tr data-column") == len(res["columns"])


def _outputs(nb_path: Path) -> list[str]:
    "The displayed outputs of an executed notebook (markdown or text), in order; streams (warnings, logs) left out."
    out = []
    for c in json.loads(nb_path.read_text())["cells"]:
        for o in c.get("outputs", []):
            if o["output_type"] in ("display_data", "execute_result"):
                t = o["data"].get("text/markdown") or o["data"].get("text/plain") or ""
                out.append("".join(t) if isinstance(t, list) else t)
    return out


def test_monitoring_notebook_finishes_cleanly_on_a_drifted_batch_with_the_verdict_first(monitoring):
    "Drift is an alert, not an error (#11): a plain papermill run succeeds, the verdict comes first, no exception banner or traceback."
    r = papermill(monitoring, "drifted.csv", "drifted")
    assert r.returncode == 0, r.stderr[-3000:]
    from nbconvert import HTMLExporter

    from nbs_lib.driftjob import verdict_outcome

    res = read_json(monitoring / "drifted/drift.json")
    assert res["alert"]["fired"] is True and {"age", "hours-per-week", "workclass"} <= set(
        res["alert"]["drifted_columns"]
    )
    assert res["alert"]["message"].startswith("drift alert: data drift in ") and res["outcome"] == "alert"
    outcome, message = verdict_outcome(monitoring / "drifted/drift.json")
    assert outcome == "alert" and message.startswith("drifted.csv: drift alert: data drift in ") and "age" in message
    first = _outputs(monitoring / "drifted.ipynb")[0]
    assert first.startswith("## Verdict: **ALERT** — drifted.csv: drift alert: data drift in ")
    html = HTMLExporter().from_filename(str(monitoring / "drifted.ipynb"))[0]
    assert "An Exception was encountered" not in html and "Traceback" not in html and "Error" not in first
