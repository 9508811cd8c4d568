"""Export targets with proof (keyed by name), the self-contained bundle, model selection, and the registry: promote, rollback, drill, scoring."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT

BLOCK = (
    "import sys, runpy; [sys.modules.__setitem__(m, None) for m in ('pandas', 'torch', 'sklearn', 'nbs_lib')]; "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)

SHIPSHAPE = str(Path(sys.executable).parent / "shipshape")


def test_export_report_proves_each_target(built):
    "The default build chooses the tree model: ONNX fp32 is proven against LightGBM; INT8 and TensorRT say why they do not apply."
    m = json.loads((built["products"] / "05_evaluation/metrics.json").read_text())
    e = json.loads((built["products"] / "06_export/export.json").read_text())
    t = e["targets"]  # keyed by target name
    assert m["chosen"] == e["model"] == "lightgbm"
    served = json.loads((built["products"] / "06_export/bundle/model.json").read_text())["served"]
    assert (served["model"], served["calibration"]["method"]) == (m["chosen"], m["calibration"]["method"])
    assert set(t) == {"onnx-fp32", "onnx-int8", "tensorrt-fp16"} and all(r["target"] == n for n, r in t.items())
    r = t["onnx-fp32"]
    assert r["status"] == "ok" and Path(r["file"]).stat().st_size == r["size_bytes"] and len(r["sha256"]) == 64
    assert r["latency_batch1"]["p50_us"] <= r["latency_batch1"]["p95_us"] <= r["latency_batch1"]["p99_us"]
    assert r["rows_per_s_batch1024"] > 0 and r["hardware"]["cpus"] >= 1
    assert r["baseline"]["runtime"] == "lightgbm-cpu" and r["opset"] == 17
    assert r["parity"]["max_abs_diff"] <= 1e-4 and r["parity"]["decision_agreement"] == 1.0
    for name in ("onnx-int8", "tensorrt-fp16"):
        assert t[name]["status"] == "skipped" and t[name]["reason"].startswith("n/a for a tree ensemble")


def test_selection_table_has_latency_and_size(built):
    m = json.loads((built["products"] / "05_evaluation/metrics.json").read_text())
    assert set(m["serving_cost"]) == {"baseline", "mlp", "lightgbm", "lightgbm_fair"} and m["latency_budget_ms"] == 5
    for c in m["serving_cost"].values():
        assert c["p99_us"] > 0 and c["size_bytes"] > 0


def test_bundle_alone_reproduces_pipeline_scores_on_raw_adult_test(built, tmp_path):
    bundle = built["products"] / "06_export/bundle"
    out = tmp_path / "pred.csv"
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCK,
            str(bundle / "score.py"),
            str(ROOT / "data/raw/adult.test"),
            "--format",
            "training",
            "--skip-lines",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    mine = pd.read_csv(out).set_index("line")
    assert len(mine) == 16281
    m = json.loads((built["products"] / "05_evaluation/metrics.json").read_text())
    piped = pd.read_parquet(built["products"] / "05_evaluation/test_predictions.parquet").set_index("line")[
        f"p_{m['chosen']}"
    ]
    assert np.abs(mine.loc[piped.index, "probability"].to_numpy() - piped.to_numpy()).max() <= 1e-6


def test_registered_version_keeps_everything(built):
    from nbs_lib.registry import list_versions

    reg = built["registry"]
    lv = list_versions(reg)
    v = lv["versions"][-1]
    assert v["version"] == "v0001" and lv["aliases"]["production"] == "v0001"
    assert {
        "model",
        "onnx",
        "onnx_int8",
        "bundle",
        "scorer",
        "transform",
        "contract",
        "metrics",
        "export",
        "holdout",
        "requirements",
    } <= set(v["files"])
    assert all((reg / p).exists() for p in v["files"].values())
    assert (reg / v["files"]["requirements"]).read_bytes() == (ROOT / "requirements.lock").read_bytes()
    assert (
        v["missing_evidence"] == []
        and (reg / "versions/v0001/canary.json").exists()
        and (reg / "versions/v0001/drill.json").exists()
    )
    assert len(v["data_version"]) == 64 and v["wandb_run"] and "roc_auc" in v["metrics"]
    w = json.loads((built["products"] / "07_report/wandb.json").read_text())
    assert w["id"] == v["wandb_run"]
    drill = json.loads((built["products"] / "08_register/drill.json").read_text())
    assert drill["status"] == "pass" and [s["passed"] for s in drill["steps"]] == [True, True, True]


def test_the_first_registration_canary_is_na_never_a_pass(built):
    "On the first registration there is no production model to compare against: the canary is n/a, with that reason."
    for p in (built["products"] / "08_register/canary.json", built["registry"] / "versions/v0001/canary.json"):
        c = json.loads(p.read_text())
        assert (c["status"], c["passed"], c["production"]) == ("n/a", None, None)
        assert c["reason"] == "first registered version: no production model to compare against"


def _cli(tmp, *args):
    env_file = tmp / "env.override.yaml"
    env_file.write_text(
        yaml.safe_dump({"registry": {"path": str(tmp / "registry")}, "products": str(tmp / "products")})
    )
    return subprocess.run(
        [SHIPSHAPE, args[0], "--env", str(env_file), *args[1:]],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_promote_rollback_and_score_from_the_command_line(built, tmp_path):
    "On a copy of the build's registry and scorecard: promotion needs the recorded canary and drill, the gate, and refreshes the scorecard."
    import shutil

    from nbs_lib.registry import load, read_state, register
    from nbs_lib.scorecard import load_gate

    reg = tmp_path / "registry/uci-adult"  # the registry and products of a data set live under its name
    shutil.copytree(built["registry"], reg)
    products = tmp_path / "products/uci-adult"
    (products / "readiness").mkdir(parents=True)
    shutil.copyfile(built["products"] / "readiness/scorecard.json", products / "readiness/scorecard.json")
    v1 = load("v0001", reg)
    v2 = register(
        reg,
        {k: reg / p for k, p in v1.entry["files"].items()},
        {"model": "mlp", "metrics": v1.entry["metrics"], "note": "re-registered for the test"},
        who="pytest",
    )["version"]
    assert read_state(reg)["aliases"] == {"production": "v0001", "candidate": v2}
    r = _cli(tmp_path, "promote", v2, "--who", "pytest", "--reason", "same model, test")
    assert r.returncode == 1 and f"{v2} is not promotable: canary.json and drill.json not recorded" in r.stderr
    r = _cli(tmp_path, "qualify", v2)
    assert r.returncode == 0 and f"{v2}: canary pass, rollback drill pass" in r.stdout, r.stderr
    gate = load_gate(products)["decision"]
    r = _cli(tmp_path, "promote", v2, "--who", "pytest", "--reason", "same model, test")
    if gate != "go":  # the gate holds promotion back ...
        assert r.returncode == 1 and f"promotion of {v2} refused: readiness gate" in r.stderr
        assert read_state(reg)["aliases"]["production"] == "v0001"
        r = _cli(
            tmp_path, "promote", v2, "--who", "pytest", "--override-reason", "test: same model"
        )  # ... unless overridden
        assert read_state(reg)["history"][-1]["override"] is True
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr
    assert (
        read_state(reg)["aliases"]["production"] == v2 and read_state(reg)["history"][-1]["canary"]["status"] == "pass"
    )
    assert load_gate(products)["subject"]["production"] == v2  # the scorecard was refreshed after the move
    r = _cli(tmp_path, "rollback", "--who", "pytest", "--reason", "test")
    assert r.returncode == 0 and "rolled back" in r.stdout, r.stderr
    assert read_state(reg)["aliases"]["production"] == "v0001" == load_gate(products)["subject"]["production"]
    assert _cli(tmp_path, "rollback").returncode == 2  # nothing before v0001: an error, not a policy refusal
    assert _cli(tmp_path, "drill").returncode == 0
    batch = tmp_path / "batch.csv"
    rows = pd.read_parquet(built["products"] / "02_validated/test.parquet").head(40)
    rows.drop(columns="income").to_csv(batch, index=False)
    r = _cli(tmp_path, "score", str(batch), "--out", str(tmp_path / "scored.csv"))
    assert r.returncode == 0, r.stderr
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert len(scored) == 40 and set(scored.model_version) == {"v0001"}


def test_promotion_is_refused_on_a_no_go_gate(built, tmp_path):
    import shutil

    from nbs_lib.registry import load, promote, read_state, register
    from nbs_lib.release import holdout, qualify

    reg = tmp_path / "registry"
    shutil.copytree(built["registry"], reg)
    cand = register(
        reg,
        {"onnx": reg / "versions/v0001/model.onnx", "bundle": reg / "versions/v0001/model.json"},
        {"metrics": {}},
        who="t",
    )
    rows, y = holdout(load("v0001", reg))
    qualify(cand["version"], "t", reg=reg, rows=rows, y=y, policy={})
    before = read_state(reg)["aliases"]["production"]
    with pytest.raises(PermissionError, match="no-go: I4"):
        promote(cand["version"], "t", root=ROOT, reg=reg, gate={"decision": "no-go", "blocking": [{"id": "I4"}]})
    assert read_state(reg)["aliases"]["production"] == before
    rec = promote(
        cand["version"],
        "t",
        "urgent fix",
        override=True,
        root=ROOT,
        reg=reg,
        gate={"decision": "no-go", "blocking": [{"id": "I4"}]},
    )
    assert rec["override"] and read_state(reg)["history"][-1]["reason"] == "urgent fix"


def test_scoring_notebook_runs_headless_with_papermill(built, tmp_path):
    import papermill as pm

    env_file = tmp_path / "env.yaml"
    env_file.write_text(
        yaml.safe_dump({"registry": {"path": str(built["tmp"] / "registry")}, "products": str(tmp_path / "products")})
    )
    rows = pd.read_parquet(built["products"] / "02_validated/test.parquet").head(25)
    rows.drop(columns="income").to_csv(tmp_path / "batch.csv", index=False)
    pm.execute_notebook(
        str(ROOT / "notebooks/_pipeline/score.ipynb"),
        str(tmp_path / "score.ipynb"),
        progress_bar=False,
        parameters={"root": str(ROOT), "batch_path": str(tmp_path / "batch.csv"), "env_overrides": str(env_file)},
    )
    pred = pd.read_csv(tmp_path / "products/uci-adult/scoring/batch.predictions.csv")
    assert len(pred) == 25 and pred.model_version.nunique() == 1 and pred.probability.between(0, 1).all()


def test_export_command_exports_a_registered_version_beside_the_pipeline_proof(built):
    tmp = built["tmp"]
    proof = built["products"] / "06_export/export.json"
    before = proof.read_bytes()
    r = _cli_export(tmp, "--target", "onnx-fp32", "--version", "v0001")
    assert r.returncode == 0, r.stderr
    assert proof.read_bytes() == before  # the pipeline's proof is never replaced
    t = json.loads((built["products"] / "06_export/versions/v0001/export.json").read_text())["targets"]
    assert list(t) == ["onnx-fp32"] and t["onnx-fp32"]["version"] == "v0001" and t["onnx-fp32"]["on_demand"]
    assert (
        t["onnx-fp32"]["status"] == "ok"
        and Path(t["onnx-fp32"]["file"]).exists()
        and t["onnx-fp32"]["parity"]["max_abs_diff"] <= 1e-4
    )
    r = _cli_export(tmp, "--target", "nope")
    assert r.returncode == 2 and "unknown export target 'nope'" in r.stderr


def test_the_report_task_reads_export_targets_by_name(built, tmp_path):
    "A panel export used to reorder export.json and the report task, reading targets by position, failed with KeyError 'parity'."
    import papermill as pm

    from nbs_lib.pipeline import make_dag

    p = built["products"] / "06_export/export.json"
    text, st = p.read_text(), p.stat()
    e = json.loads(text)
    t = e["targets"]
    e["targets"] = dict(reversed(list(t.items()))) if isinstance(t, dict) else t[::-1]  # the order a panel export left
    try:
        p.write_text(json.dumps(e))
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # same file for the scorecard
        dag = make_dag(built["env"] | {"wandb": built["env"]["wandb"] | {"dir": str(tmp_path)}}, ROOT)
        dag.render(show_progress=False)
        params = dag["report"].params.to_json_serializable(params_only=False) | {
            "product": {"wandb": str(tmp_path / "wandb.json")}
        }
        pm.execute_notebook(
            str(ROOT / "notebooks/_pipeline/report.ipynb"),
            str(tmp_path / "report.ipynb"),
            parameters=params,
            progress_bar=False,
        )
    finally:
        p.write_text(text)
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    out = (tmp_path / "report.ipynb").read_text()
    assert all(f"**{n}**" in out for n in ("onnx-fp32", "onnx-int8", "tensorrt-fp16"))
    assert json.loads((tmp_path / "wandb.json").read_text())["id"]


def _cli_export(tmp, *args):
    env_file = tmp / "env.override.yaml"
    env_file.write_text(
        yaml.safe_dump(
            {
                "registry": {"path": str(tmp / "registry")},
                "products": str(tmp / "products"),
                "export": {"latency_repeats": 20},
            }
        )
    )
    return subprocess.run(
        [SHIPSHAPE, "export", "--env", str(env_file), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
