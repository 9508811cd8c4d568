"""The production data pipeline: contract, quarantine, file rejection, exactly-once batches, lineage, simulator."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from nbs_lib.config import load_env

SHIPSHAPE = str(Path(sys.executable).parent / "shipshape")

ENV = load_env(root=ROOT)
NAMES = ENV["dataset"]["format"]["names"]


def _rows(n=30, seed=0):
    from nbs_lib.data import load_split

    rows, _ = load_split(ENV, "test", ROOT)
    return rows.sample(n, random_state=seed).reset_index(drop=True)


def _csv(df, **kw):
    return df.to_csv(index=False, **kw)


@pytest.fixture(scope="module")
def monitored(tmp_path_factory):
    "A folder of unseen-style batch files, processed by the real monitoring job (papermill) twice."
    tmp = tmp_path_factory.mktemp("monitor")
    inc = tmp / "incoming"
    inc.mkdir()
    base = _rows(40)
    files = {
        "good.csv": _csv(base).encode(),
        "crlf.csv": _csv(base.iloc[:10], lineterminator="\r\n").encode(),
        "bom.csv": b"\xef\xbb\xbf" + _csv(base.iloc[10:20]).encode(),
        "reordered.csv": _csv(base[list(reversed(base.columns))]).encode(),
        "quoted.csv": _csv(
            base.iloc[:5].assign(
                **{"native-country": ["Korea, South", 'say "hi"', "two\nlines", "United-States", "Mexico"]}
            )
        ).encode(),
        "serving.csv": _csv(base.drop(columns="income")).encode(),
        "extra.csv": _csv(base.assign(customer_id=range(len(base)))).encode(),
        "dups.csv": _csv(pd.concat([base.iloc[:10], base.iloc[:3]])).encode(),
        "bad-rows.csv": _csv(base.assign(age=["forty"] + list(base.age[1:]))).encode(),
        "empty.csv": b"",
        "garbage.bin": bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
        "latin1.csv": _csv(base.assign(**{"native-country": "Méxique"})).encode("latin-1"),
        "semicolon.csv": _csv(base, sep=";").encode(),
        "no-age.csv": _csv(base.drop(columns="age")).encode(),
        "inputs-only.csv": _csv(
            base.drop(columns=["fnlwgt", "sex", "race"])
        ).encode(),  # the model's inputs and the label, nothing else
    }
    for n, b in files.items():
        (inc / n).write_bytes(b)
    shutil.copy(inc / "good.csv", inc / "good-renamed.csv")
    for n in [*files, "good-renamed.csv"]:
        (inc / f"{n}.ready").touch()  # the writer's "complete" marker
    env_file = tmp / "env.yaml"
    env_file.write_text(
        yaml.safe_dump(
            {
                "products": str(tmp / "products"),
                "monitoring": {"incoming": str(inc)},
                "registry": {"path": str(tmp / "registry")},
            }
        )
    )  # no production model: no drift check

    def run():
        return subprocess.run(
            [SHIPSHAPE, "monitor", "--env", str(env_file), "--trigger", "pytest"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )

    first = run()
    ledger1 = (tmp / "products/uci-adult/ledger.jsonl").read_text()
    second = run()
    return {
        "tmp": tmp,
        "first": first,
        "second": second,
        "ledger1": ledger1,
        "files": files,
        "ledger": {
            e["file"]: e for e in map(json.loads, (tmp / "products/uci-adult/ledger.jsonl").read_text().splitlines())
        },
    }


def test_every_file_has_a_ledger_line_and_rows_add_up(monitored):
    led = monitored["ledger"]
    assert set(led) == set(monitored["files"]) | {"good-renamed.csv"}
    for e in led.values():
        assert e["rows_in"] == e["rows_valid"] + e["rows_quarantined"], e["file"]
        assert {"file", "sha256", "status", "reasons", "processed_at", "valid_path", "quarantine_path"} <= set(e)


def test_benign_variation_passes(monitored):
    led = monitored["ledger"]
    for f, n in [
        ("good.csv", 40),
        ("crlf.csv", 10),
        ("bom.csv", 10),
        ("reordered.csv", 40),
        ("serving.csv", 40),
        ("extra.csv", 40),
        ("inputs-only.csv", 40),
    ]:
        assert (led[f]["status"], led[f]["rows_in"], led[f]["rows_quarantined"]) == ("ok", n, 0), f
    assert led["serving.csv"]["labelled"] is False
    assert led["extra.csv"]["warnings"] == ["extra columns dropped: customer_id"]
    q = led["quoted.csv"]
    assert q["status"] == "ok" and q["rows_in"] == 5
    valid = pd.read_csv(q["valid_path"], dtype=str)
    assert (
        "two\nlines" not in set(valid["native-country"]) and len(valid) + q["rows_quarantined"] == 5
    )  # unseen values quarantined, not lost
    reasons = [json.loads(r) for r in pd.read_csv(q["quarantine_path"])._reasons]
    assert {r[0]["value"] for r in reasons} == {"Korea, South", 'say "hi"', "two\nlines"}


def test_bad_rows_are_quarantined_with_reason_and_original_line(monitored):
    e = monitored["ledger"]["bad-rows.csv"]
    assert (e["rows_quarantined"], e["reasons"]) == (1, {"age:type": 1})
    q = pd.read_csv(e["quarantine_path"], dtype=str)
    assert q._raw[0].startswith("forty,") and json.loads(q._reasons[0]) == [
        {"column": "age", "rule": "type", "value": "forty"}
    ]
    assert (
        monitored["ledger"]["dups.csv"]["duplicate_rows"] == 3
        and monitored["ledger"]["dups.csv"]["rows_quarantined"] == 0
    )


@pytest.mark.parametrize(
    "f,why",
    [
        ("empty.csv", "empty file"),
        ("garbage.bin", "binary content"),
        ("latin1.csv", "not UTF-8"),
        ("semicolon.csv", "wrong delimiter"),
        ("no-age.csv", "missing required columns: age"),
    ],
)
def test_unreadable_files_are_rejected_whole_with_a_reason(monitored, f, why):
    e = monitored["ledger"][f]
    assert e["status"] == "rejected" and why in e["reasons"]["file"]
    assert Path(e["quarantine_path"]).read_bytes() == monitored["files"][f]


def test_exit_status_exactly_once_and_reports(monitored):
    first, second = monitored["first"], monitored["second"]
    assert (
        first.returncode == 1 and first.stdout.count("\n") == 1 and first.stdout.startswith("ALERT: ")
    )  # an alert, one line
    assert "garbage.bin: rejected (binary content" in first.stdout
    assert (monitored["tmp"] / "products/uci-adult/ledger.jsonl").read_text() == monitored[
        "ledger1"
    ]  # nothing new: nothing processed
    assert second.returncode == 1 and second.stdout.startswith("ALERT: nothing new; standing alert since run monitor-")
    assert "garbage.bin: rejected" in second.stdout  # ... and the alert is not hidden
    r = monitored["ledger"]["good-renamed.csv"]
    assert (r["status"], r["duplicate_of"], r["rows_in"]) == ("duplicate", "good.csv", 0)
    reports = sorted((monitored["tmp"] / "products/uci-adult/monitoring/reports").glob("*.html"))
    assert len(reports) == 1 and "quarantine rate" in reports[0].read_text()  # no report for a no-op run
    runs = sorted(
        (json.loads(p.read_text()) for p in (monitored["tmp"] / "products/uci-adult/runs").glob("monitor-*.json")),
        key=lambda r: r["started_at"],
    )
    assert [(r["status"], r["outcome"]) for r in runs] == [("alert", "alert")] * 2 and {r["trigger"] for r in runs} == {
        "pytest"
    }
    assert [len(r["intake"]["processed"]) for r in runs] == [len(monitored["files"]) + 1, 0] and runs[1]["alerts"][0][
        "standing"
    ]


def test_batch_outputs_have_lineage(monitored):
    from nbs_lib.lineage import where_from

    e = monitored["ledger"]["good.csv"]
    t = where_from(e["valid_path"], monitored["tmp"] / "products/uci-adult")
    assert t["made_by"] == f"batch-{e['sha256'][:16]}" and t["matches_record"]
    assert any(i["path"].endswith("good.csv") or i["path"].endswith("good-renamed.csv") for i in t["inputs"])


def test_pipeline_products_trace_back_to_the_raw_files(built):
    from nbs_lib.lineage import explain, where_from

    t = where_from(built["products"] / "06_export/model.onnx", built["products"])
    text = explain(t)
    assert t["made_by"] == "export" and "data/raw/adult.data" in text and "contracts/uci-adult.contract.yaml" in text


def test_distinct_value_engine_decides_like_gx_on_every_row(tmp_path):
    from nbs_lib.data import read_table
    from nbs_lib.simulate import simulate_batches
    from nbs_lib.validate import load_contract, validate

    p = simulate_batches(tmp_path, days=1, fault_rate=0.03, seed=3)[0]
    rows, _ = read_table(p, {"sep": ",", "header": True})
    rows = rows.head(3000)
    c = load_contract(ENV, ROOT)[0]
    rows = pd.concat([rows, rows.iloc[:7]])  # some duplicate rows
    b = validate(rows, c, engine="rows")
    for a in [validate(rows, c), validate(rows.astype("str"), c)]:  # object text, and pandas' Arrow strings
        assert list(a.valid.index) == list(b.valid.index) and a.summary["reasons"] == b.summary["reasons"]
        assert a.quarantine["_reasons"].tolist() == b.quarantine["_reasons"].tolist()
        assert (
            a.summary["checks"] == b.summary["checks"]
            and a.summary["duplicate_rows"] == b.summary["duplicate_rows"] >= 7
        )
    assert {k.split(":")[1] for k in a.summary["reasons"]} >= {"type", "range", "category", "missing"}


def test_committed_contract_matches_regeneration(tmp_path):
    from nbs_lib.validate import contract_paths, generate_contract

    (tmp_path / "data").symlink_to(ROOT / "data")
    new = generate_contract(ENV, tmp_path).read_text()
    assert new == contract_paths(ENV, ROOT)[0].read_text(), (
        "contracts/ is stale: run `make contract` and review the diff"
    )


def test_drift_drill_alerts_on_drifted_batch_not_clean_one_and_retrains(built, tmp_path):
    "`make drift-drill` end to end: batches validated, drift-checked against the production model, retraining on, all on copies."
    from conftest import env_for

    shutil.copytree(built["tmp"] / "registry", tmp_path / "registry")
    env_file = tmp_path / "env.yaml"
    env_file.write_text(yaml.safe_dump(env_for(tmp_path)))
    r = subprocess.run([SHIPSHAPE, "drift-drill", "--env", str(env_file)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "drift drill: PASS" in r.stdout, r.stdout + r.stderr
    drill = json.loads((tmp_path / "products/uci-adult/monitoring/drift_drill.json").read_text())
    assert drill["status"] == "pass" and [s["step"] for s in drill["steps"]] == [
        "clean batch",
        "inject drift",
        "retrain",
    ]
    injected = drill["steps"][1]["drift"]  # the simulator's default drift for the model's inputs
    assert (
        "age" in injected
        and "age" in drill["steps"][1]["drifted_columns"]
        and drill["steps"][1]["run_outcome"] == "alert"
    )
    d = (
        tmp_path / "products/uci-adult/monitoring/drift_drill/products/uci-adult"
    )  # products live under the data set's name
    run = next(json.loads(p.read_text()) for p in (d / "runs").glob("monitor-*.json"))
    assert (run["status"], run["outcome"], run["error"]) == ("alert", "alert", None)  # an alert (exit 1), not a failure
    assert "uci-adult-2026-11-02.csv: data drift in " in run["message"] and "age" in run["message"]
    clean = json.loads((d / "monitoring/uci-adult-2026-11-01/drift.json").read_text())
    drifted = json.loads((d / "monitoring/uci-adult-2026-11-02/drift.json").read_text())
    assert clean["drifted"] is False and not clean["alert"]["fired"]
    assert drifted["drifted"] and "age" in {c for c, v in drifted["columns"].items() if v["drifted"]}
    latest = json.loads((d / "monitoring/latest.json").read_text())
    assert latest["batch"] == "uci-adult-2026-11-02.csv" and latest["model_version"] == "v0001"
    assert (d / "monitoring/uci-adult-2026-11-02/drift.html").exists()
    retrain = [e for e in map(json.loads, (d / "ledger.jsonl").read_text().splitlines()) if e["status"] == "retrain"]
    assert len(retrain) == 1 and retrain[0]["file"] == "uci-adult-2026-11-02.csv" and retrain[0]["run_status"] == "ok"
    assert "age" in retrain[0]["reasons"]["drifted"] and retrain[0]["run_id"] == drill["steps"][2]["run_id"]
    rerun = json.loads((d / f"runs/{retrain[0]['run_id']}.json").read_text())
    assert rerun["trigger"] == "retrain: drift in uci-adult-2026-11-02.csv" and all(t["ran"] for t in rerun["tasks"])
    assert (d / f"lineage/retrain-{retrain[0]['run_id']}.json").exists()
    ingest = json.loads((d / "01_raw/ingest.json").read_text())  # retraining learned the drifted batch,
    clean_b, drifted_b = ingest["batches"]  # not the clean one's rows: they are test rows
    assert (
        clean_b["rows_added"] == 0 < clean_b["rows"]
        and drifted_b["rows_added"] == drifted_b["rows"] == drill["steps"][2]["batch_rows_learned"]
    )
    lineage = json.loads((d / "lineage/ingest.json").read_text())
    assert {i["path"] for i in lineage["inputs"].values()} >= {clean_b["path"], drifted_b["path"]}

    def versions(reg):
        return sorted(p.name for p in (reg / "versions").iterdir())

    assert versions(tmp_path / "registry/uci-adult") == ["v0001"] and versions(
        d.parent.parent / "registry/uci-adult"
    ) == ["v0001", "v0002"]  # the real registry untouched
