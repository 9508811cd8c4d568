"""The Adult file quirks, and a user's own CSV swapped in by editing env only."""

import json

import numpy as np
import pytest

from conftest import ROOT, env_for
from nbs_lib.data import load_split, read_table
from nbs_lib.settings import load_settings

ENV = load_settings("data/raw/env.dataset.yaml", root=ROOT)  # the bundled Adult files, whatever env.yaml names


def test_adult_train_quirks():
    df, bad = load_split(ENV, "train", ROOT)
    assert df.shape == (32561, 15) and len(bad) == 0  # trailing blank line ignored, no header row
    assert df.iloc[0].tolist()[:4] == ["39", "State-gov", "77516", "Bachelors"]  # ", " separator stripped
    assert df.loc[28, "workclass"] is None and df.loc[28, "occupation"] is None  # "?" is missing (line 28)
    assert not df.map(lambda v: isinstance(v, str) and v != v.strip()).any().any()
    assert set(df["income"]) == {"<=50K", ">50K"}


def test_adult_test_quirks():
    df, bad = load_split(ENV, "test", ROOT)
    assert len(df) == 16281 and len(bad) == 0
    assert df.index[0] == 2 and df.iloc[0]["age"] == "25"  # the "|1x3 Cross validator" line is skipped
    assert set(df["income"]) == {"<=50K", ">50K"}  # ">50K." → ">50K"
    assert (df["income"] == ">50K").sum() == 3846


def test_malformed_lines_are_kept_with_their_reason(tmp_path):
    p = tmp_path / "a.data"
    p.write_text("39, State-gov, <=50K\n40, Private\n41, Private, >50K, extra\n")
    df, bad = read_table(p, {"sep": ",", "strip": True, "header": False, "names": ["age", "workclass", "income"]})
    assert len(df) == 1 and bad.line.tolist() == [2, 3]
    assert bad.reason.tolist() == ["expected 3 fields, found 2", "expected 3 fields, found 4"]


def test_bom_crlf_and_quoted_fields(tmp_path):
    p = tmp_path / "b.csv"
    p.write_bytes('\ufeffa;b\r\n1;"x; ""y""\r\nz"\r\n'.encode("utf-8"))
    df, bad = read_table(p, {"sep": ";", "header": True, "encoding": "utf-8-sig"})
    assert list(df.columns) == ["a", "b"] and df.iloc[0]["b"] == 'x; "y"\r\nz' and len(bad) == 0


@pytest.fixture(scope="module")
def own_csv(tmp_path_factory):
    "A different public data set (scikit-learn's breast cancer) as a user's CSV: header, ';', text labels, no test file."
    from sklearn.datasets import load_breast_cancer

    tmp = tmp_path_factory.mktemp("own")
    b = load_breast_cancer(as_frame=True)
    df = b.frame.rename(columns=lambda c: c.replace(" ", "_"))
    df["diagnosis"] = np.where(df.pop("target") == 0, "malignant", "benign")
    df.to_csv(tmp / "cancer.csv", sep=";", index=False)
    return tmp


def test_own_csv_runs_the_whole_pipeline_by_editing_env_only(own_csv):
    from nbs_lib.pipeline import build

    dataset = {
        "name": "breast-cancer",
        "train": str(own_csv / "cancer.csv"),
        "test": None,
        "test_fraction": 0.25,
        "format": {"sep": ";", "header": True, "names": None, "skip_lines": {}, "na_values": [""]},
        "target": "diagnosis",
        "positive_label": "malignant",
        "label_strip": None,
        "features": None,
        "drop": [],
        "sensitive": [],
        "types": {},
        "slice_bins": {},
        "sample_fraction": 1.0,
    }
    env = env_for(own_csv, dataset=dataset)
    rec = build(env, root=ROOT, trigger="pytest")
    assert rec["status"] == "ok", rec.get("error")
    m = json.loads((own_csv / "products/breast-cancer/05_evaluation/metrics.json").read_text())
    assert m["test"]["n"] == round(569 * 0.25) and m["test"]["roc_auc"] > 0.95
    spec = json.loads((own_csv / "products/breast-cancer/03_features/transform.json").read_text())
    assert len(spec["columns"]) == 30 and all(c["kind"] == "numeric" for c in spec["columns"])
