"""Bad data and bad parameters give a clear error naming what and where; nothing is lost."""

import json

import pandas as pd
import pytest

from conftest import ROOT, env_for


def test_too_many_bad_rows_fail_the_run_and_name_the_task(tmp_path):
    from nbs_lib.pipeline import build

    lines = (ROOT / "data/raw/adult.data").read_text().splitlines()[:2000]
    for i in range(0, 2000, 10):  # 10 % of rows broken in different ways
        f = lines[i].split(", ")
        if i % 30 == 0:
            f[0] = "forty"  # type error
        elif i % 30 == 10:
            f[12] = "400"  # hours-per-week far out of range
        else:
            f = f[:-2]  # missing fields
        lines[i] = ", ".join(f)
    bad = tmp_path / "adult.bad"
    bad.write_text("\n".join(lines) + "\n")
    env = env_for(tmp_path, dataset={"train": str(bad), "sample_fraction": 1.0})
    rec = build(env, root=ROOT, trigger="pytest")
    assert rec["status"] == "failed"
    assert rec["error"]["task"] == "validate" and "quarantine rate" in rec["error"]["message"]
    p = tmp_path / "products" / "uci-adult"
    assert (p / "01_raw/train.parquet").exists() and (p / "reports/ingest.html").exists()  # earlier products intact
    q = pd.read_csv(p / "02_validated/quarantine.csv")
    reasons = {r["rule"] for v in q._reasons for r in json.loads(v)}
    assert {"type", "malformed"} <= reasons
    assert "index.html" in {x.name for x in p.iterdir()} and "FAILED" in (p / "index.html").read_text()


def test_bad_parameter_is_refused_before_anything_runs_naming_key_and_hint(tmp_path):
    "A target that is not a column is a configuration error: refused up front, naming the key, with the closest column."
    from nbs_lib.pipeline import build
    from nbs_lib.settings import SettingsError

    with pytest.raises(SettingsError) as e:
        build(env_for(tmp_path, dataset={"target": "incom"}), root=ROOT, trigger="pytest")
    assert "`dataset.target` = 'incom'" in str(e.value) and "did you mean `income`" in str(e.value)
    assert not (tmp_path / "products").exists()  # nothing started, nothing half-written
