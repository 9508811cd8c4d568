"""The readiness scorecard and its gate, on small synthetic evidence folders (no pipeline run), plus one check of a real build."""
import datetime as dt, json, os, subprocess, sys
from pathlib import Path
import numpy as np, pandas as pd, pytest, yaml
from conftest import ROOT

from nbs_lib.config import sha256_file, write_json
from nbs_lib.readiness import (CHECKLIST, DIMENSIONS, TESTS, attest, band, build_scorecard, check_scorecard, load_scorecard,
                               read_readiness, refresh, save_intake, section_of)

PY = sys.executable
NOW = dt.datetime.now(dt.timezone.utc)


def _group(attr, g, n, sel, tpr, fpr):
    return {"attribute": attr, "group": g, "n": n, "positives": n//4, "predicted_positive": round(sel*n), "tp": 0, "fp": 0,
            "base_rate": 0.25, "selection_rate": sel, "tpr": tpr, "fpr": fpr, "precision": 0.7}


def fairness_raw(sel=(0.30, 0.32), tpr=(0.80, 0.82), fpr=(0.10, 0.11)):
    return {"threshold": 0.5, "attributes": ["sex"], "bins": {}, "rows": 400, "overall": {},
            "groups": [_group("sex", "F", 200, sel[0], tpr[0], fpr[0]), _group("sex", "M", 200, sel[1], tpr[1], fpr[1])]}


def make_project(tmp: Path) -> Path:
    "A project whose every piece of evidence exists and passes, and whose every manual item is attested: the gate says go."
    import torch
    from nbs_lib.train import TabularNet, save_model
    root = tmp/"proj"; P = root/"products"
    (root/"data").mkdir(parents=True); (root/"notebooks").mkdir(); (P/"03_features").mkdir(parents=True)
    (root/"data/train.csv").write_text("age,job,y\n30,a,1\n")
    (root/"notebooks/11_features.ipynb").write_text('{"cells": []}')
    (root/"requirements.lock").write_text("numpy==2.4.6\ntorch==2.13.0\n")
    (root/"pipeline.yaml").write_text("tasks: []\n")
    env = {"products": "products",
           "dataset": {"name": "toy", "target": "y", "positive_label": "1", "sensitive": ["sex"], "drop": ["sex"]},
           "validation": {"warn_rate": 0.01, "fail_rate": 0.05},
           "evaluate": {"metric": "roc_auc", "min_gain": 0.002, "threshold": 0.5, "min_metric": 0.8, "latency_budget_ms": 5},
           "export": {"parity_tol": 1e-4},
           "registry": {"path": "registry"},
           "monitoring": {"alerts": {"infrastructure": ["latency"], "data": ["drift"], "model": ["auc"], "business": ["approvals"]}},
           "readiness": {"max_evidence_age_days": 30}}
    (root/"env.yaml").write_text(yaml.safe_dump(env))
    spec = {"version": 1, "columns": [{"name": "age", "kind": "numeric", "fill": 30.0, "log": False, "mean": 30.0, "std": 5.0},
                                      {"name": "job", "kind": "categorical", "categories": ["a", "b"]}], "outputs": ["age", "job=a", "job=b"]}
    torch.manual_seed(0); save_model(TabularNet(3, [4]), P/"04_models/mlp.pt")
    np.savez(P/"03_features/features.npz", X_train=np.zeros((4, 3), np.float32))
    test = {"n": 1000, "positive_rate": 0.25, "roc_auc": 0.90, "pr_auc": 0.7, "accuracy": 0.85, "brier": 0.1, "log_loss": 0.3}
    files = {
        "01_raw/ingest.json": {"data_version": "d"*64, "sample_fraction": 1.0,
                               "files": {"train": {"path": str(root/"data/train.csv"), "sha256": sha256_file(root/"data/train.csv"), "rows": 1, "malformed": 0, "rows_kept": 1}}},
        "02_validated/validation.json": {"train": {"checks": [{"success": True}]*3, "rows_in": 1000, "rows_quarantined": 0},
                                         "test": {"rows_in": 1000, "rows_quarantined": 1}, "quarantine_rate": {"train": 0.0, "test": 0.001}},
        "02_validated/contract.json": {"columns": {}},
        "03_features/transform.json": spec, "06_export/transform.json": spec,
        "03_features/features.json": {"inputs": ["age", "job"], "encoded": 3},
        "04_models/training.json": {"config": {"seed": 1, "mlp": {"hidden": [4]}},
                                    "mlp": [{"epoch": 1, "loss": 0.5, "valid_loss": 0.5, "valid_roc_auc": 0.88}]},
        "04_models/search.json": {"metric": "roc_auc", "trials": [{"params": {"lr": 0.01}, "value": 0.90}, {"params": {"lr": 0.1}, "value": 0.85}],
                                  "chosen": {"lr": 0.01}},
        "05_evaluation/staleness.json": {"points": [{"age_days": 0, "roc_auc": 0.9}, {"age_days": 90, "roc_auc": 0.88}]},
        "05_evaluation/metrics.json": {"chosen": "mlp", "metric": "roc_auc", "threshold": 0.5, "test": test, "model_file": str(P/"04_models/mlp.pt"),
                                       "candidates": {"baseline": {"valid": {"roc_auc": 0.88}, "test": {"roc_auc": 0.88}},
                                                      "mlp": {"valid": {"roc_auc": 0.90}, "test": test}},
                                       "slices": [{"column": "sex", "slice": "F", "n": 400, "roc_auc": 0.88}, {"column": "sex", "slice": "M", "n": 600, "roc_auc": 0.91}]},
        "06_export/export.json": {"targets": [{"target": "onnx-fp32", "status": "ok", "opset": 17, "sha256": "e"*64, "parity": {"max_abs_diff": 1e-7, "rows": 1000},
                                               "latency_batch1": {"p50_us": 8.0, "p95_us": 9.0, "p99_us": 10.0}}]},
        "06_export/skew.json": {"max_abs_diff": 0.0, "rows": 100, "passed": True},
        "08_register/canary.json": {"passed": True, "metric": "roc_auc", "drop": 0.0, "max_drop": 0.005},
        "08_register/drill.json": {"status": "pass", "steps": [{"step": "promote"}, {"step": "roll back"}]},
        "monitoring/latest.json": {"status": "ok"},
        "monitoring/drift_drill.json": {"status": "pass", "steps": [{"step": "inject drift"}, {"step": "alert"}, {"step": "retrain"}]},
        "runs/run-1.json": {"id": "run-1", "status": "ok", "tasks": [{"name": "ingest", "status": "executed"}]},
        "readiness/importance.json": {"metric": "roc_auc", "baseline": 0.9, "repeats": 3, "rows": 1000,
                                      "columns": [{"column": "age", "importance": 0.03, "std": 0.001}, {"column": "job", "importance": 0.01, "std": 0.001}]},
        "readiness/fairness.json": fairness_raw(),
        "readiness/explanations.json": {"rows": [{"line": 3, "probability": 0.7, "contributions": {"age": 0.1, "job": -0.02}}]},
        "readiness/feature_tests.json": {"notebooks": [{"path": "notebooks/11_features.ipynb", "passed": True, "returncode": 0,
                                                        "sha256": sha256_file(root/"notebooks/11_features.ipynb")}], "failed": 0},
        "readiness/model_checks.json": {"checks": [{"name": "loss after a step", "value": 0.6, "op": "<", "threshold": 0.7},
                                                   {"name": "tiny-set accuracy", "value": 1.0, "op": ">=", "threshold": 1.0}]},
        "readiness/reproducibility.json": {"data_sha256": sha256_file(P/"03_features/features.npz"),
                                           "max_abs_diff": {"loss": 0.0, "valid_loss": 0.0, "valid_roc_auc": 0.0}},
        "readiness/provenance.json": {"git": {"commit": "c"*40, "dirty": False}, "data_version": "d"*64,
                                      "environment_lock": {"sha256": sha256_file(root/"requirements.lock")}},
        "readiness/data_rerun.json": {"checks": [{"name": "x", "passed": True}], "mismatches": 0},
        "readiness/dependencies.json": {"baseline": "the previous pipeline run", "lock_sha256": sha256_file(root/"requirements.lock"),
                                        "added": [], "removed": [], "changed": []},
        "readiness/batch_quality.json": {"metric": "roc_auc", "reference": test,
                                         "batches": [{"file": "b1.csv", "rows": 200, "labelled": True, "metrics": {"roc_auc": 0.89}}]},
    }
    for rel, obj in files.items(): write_json(P/rel, obj)
    pd.DataFrame({"line": [1, 2], "y": [0, 1], "p_baseline": [0.2, 0.7], "p_mlp": [0.1, 0.8]}).to_parquet(P/"05_evaluation/test_predictions.parquet")
    (P/"readiness/modelcard.md").write_text("# Model card\n")
    (P/"ledger.jsonl").write_text("".join(json.dumps({"file": f"b{i}.csv", "status": "ok", "rows_in": 100, "rows_quarantined": 0}) + "\n" for i in (1, 2)))
    reg = root/"registry"
    write_json(reg/"versions/v0001/export.json", files["06_export/export.json"])
    write_json(reg/"registry.json", {"aliases": {"production": "v0001", "candidate": "v0001"}, "history": [],
                                     "versions": [{"version": "v0001", "created_at": NOW.isoformat(), "metrics": {"roc_auc": 0.90},
                                                   "files": {"export": "versions/v0001/export.json"}}]})
    for k in ("D3", "D5", "D6", "M2", "end-users-trained", "fairness", "model-card"): attest(root, k, "Ada", f"{k} checked")
    save_intake(root, {k: "answered" for k in ("decision", "current_process", "improvement_10", "improvement_25", "improvement_50",
                                               "end_users", "data_available")}, "Ada",
                {"metric": "approval time", "baseline": "3 days", "target": "1 day", "owner": "Ops"})
    return root


@pytest.fixture
def proj(tmp_path):
    return make_project(tmp_path)


def card(root, env=None, now=None):
    from nbs_lib.config import load_env
    return build_scorecard(root, root/"products", load_env(env, root), now)


def items(sc): return {i["id"]: i for i in sc["items"]}


def decision(sc): return sc["scores"]["gate"]["decision"]


def gate_cli(path, *extra, cwd=ROOT, env=None):
    return subprocess.run([PY, "-m", "nbs_lib.readiness", "gate", *map(str, [path, *extra])], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})})


# --- schema and scoring -------------------------------------------------------------------------------------------

def test_scorecard_holds_every_item_with_raw_measurements_and_existing_evidence(proj):
    sc = card(proj)
    assert check_scorecard(sc) == []
    it = items(sc)
    assert [t[0] for t in TESTS if t[0] in it] == [t[0] for t in TESTS] and len(TESTS) == 28
    assert all(c[0] in it for c in CHECKLIST) and len(CHECKLIST) == 10
    assert all(d[0] in it for d in DIMENSIONS) and len(DIMENSIONS) == 4 and len(it) == 42
    for i in sc["items"]:
        assert {"id", "rubric", "section", "title", "status", "mode", "measurements", "evidence", "timestamps", "attestation"} <= set(i)
        if i["mode"] == "automated":
            assert i["measurements"], i["id"]
            assert all({"value", "op", "threshold", "passed"} <= set(m) for m in i["measurements"])
            assert i["evidence"] and all(Path(e["path"]).exists() and sha256_file(e["path"]) == e["sha256"] for e in i["evidence"] if "path" in e), i["id"]
    assert set(sc["subject"]) >= {"model", "git_commit", "data_version", "environment_lock_sha256"}
    assert sc["subject"]["environment_lock_sha256"] == sha256_file(proj/"requirements.lock")


def test_everything_proven_and_attested_is_go_and_scores_follow_the_rubric(proj):
    sc = card(proj); it = items(sc)
    assert decision(sc) == "go", sc["scores"]["gate"]["blocking"]
    for t, _, mode in TESTS:       # credit for being run: 1.0 automated, 0.5 attested by hand
        assert it[t]["credit"] == (0.5 if mode == "M" else 1.0), t
    s = sc["scores"]
    for sec in ("data", "model", "infrastructure", "monitoring"):
        assert s["sections"][sec] == sum(it[t]["credit"] for t, _, _ in TESTS if section_of(t) == sec)
    assert s["sections"] == {"data": 5.5, "model": 6.5, "infrastructure": 7.0, "monitoring": 7.0}
    assert s["final"] == min(s["sections"].values()) == 5.5 and s["band"] == band(5.5) == "exceptional"


def test_a_failing_test_still_earns_its_credit(proj):
    write_json(proj/"products/readiness/explanations.json", {"rows": []})          # I5 runs but explains nothing
    it = items(card(proj))
    assert it["I5"]["status"] == "fail" and it["I5"]["credit"] == 1.0


# --- decisions made to fail on purpose --------------------------------------------------------------------------

def test_model_below_threshold_is_no_go(proj):
    m = json.loads((proj/"products/05_evaluation/metrics.json").read_text()); m["test"]["roc_auc"] = 0.7
    write_json(proj/"products/05_evaluation/metrics.json", m)
    sc = card(proj)
    assert decision(sc) == "no-go"
    b = {x["id"]: x for x in sc["scores"]["gate"]["blocking"]}
    assert b["I4"]["blocking"] and "performance-thresholds" in b
    failed = [x for x in b["I4"]["measurements"] if x["passed"] is False]
    assert [(x["op"], x["threshold"]) for x in failed] == [(">=", 0.8), ("<=", 0.0)]       # below threshold, and a regression
    assert [x["value"] for x in failed] == pytest.approx([0.7, 0.2])


def test_fairness_difference_breach_fails_ratio_breach_warns(proj):
    write_json(proj/"products/readiness/fairness.json", fairness_raw(sel=(0.10, 0.30)))     # parity difference 0.2 > 0.1
    sc = card(proj); it = items(sc)
    assert it["M7"]["status"] == "fail" and decision(sc) == "no-go"
    write_json(proj/"products/readiness/fairness.json", fairness_raw(sel=(0.07, 0.10)))     # difference 0.03, ratio 0.7 < 0.8
    sc = card(proj); it = items(sc)
    assert it["M7"]["status"] == "warn" and decision(sc) == "needs-review"                 # written after the sign-off: not accepted
    assert [m["value"] for m in it["M7"]["measurements"] if m["passed"] is False] == [pytest.approx(0.7)]
    attest(proj, "fairness", "Grace", "four-fifths breach reviewed: groups too small to act on")
    sc = card(proj)
    assert items(sc)["M7"]["accepted"]["who"] == "Grace" and decision(sc) == "go"


def test_fairness_policy_can_make_a_difference_breach_a_warning(proj):
    write_json(proj/"products/readiness/fairness.json", fairness_raw(sel=(0.10, 0.30)))
    sc = card(proj, {"readiness": {"fairness": {"difference_breach": "warn"}}})
    assert items(sc)["M7"]["status"] == "warn" and decision(sc) == "needs-review"


def test_missing_attestation_needs_review(proj):
    doc = yaml.safe_load((proj/"readiness.yaml").read_text()); doc["manual_items"]["D3"].update(status=None, who=None, when=None)
    (proj/"readiness.yaml").write_text(yaml.safe_dump(doc))
    sc = card(proj); it = items(sc)
    assert it["D3"]["status"] == "manual" and it["D3"]["credit"] == 0.0 and decision(sc) == "needs-review"
    assert [b["id"] for b in sc["scores"]["gate"]["blocking"]] == ["D3"]
    assert "manual_items.D3" in it["D3"]["reason"]


def test_failed_attestation_is_no_go(proj):
    attest(proj, "D5", "Ada", "no deletion process yet", status="failed")
    sc = card(proj)
    assert items(sc)["D5"]["status"] == "fail" and decision(sc) == "no-go"


def test_stale_evidence_is_unknown_and_the_age_is_policy(proj):
    old = (NOW - dt.timedelta(days=40)).timestamp()
    os.utime(proj/"products/05_evaluation/metrics.json", (old, old))
    sc = card(proj); it = items(sc)
    for k in ("M5", "M6", "I4"):
        assert it[k]["status"] == "unknown" and it[k]["mode"] == "none" and it[k]["credit"] == 0.0, k
        assert "metrics.json is 40 days old (max 30 days)" in it[k]["reason"]
    assert decision(sc) == "needs-review"
    assert decision(card(proj, {"readiness": {"max_evidence_age_days": 60}})) == "go"


def test_missing_evidence_is_unknown_and_names_the_file(proj):
    (proj/"registry/registry.json").unlink(); (proj/"products/08_register/drill.json").unlink()
    it = items(card(proj))
    assert it["I7"]["status"] == "unknown" and "products/08_register/drill.json is missing" in it["I7"]["reason"]
    assert it["I4"]["status"] == "unknown" and "registry/registry.json is missing" in it["I4"]["reason"]
    assert it["rollback"]["status"] == "unknown"


def test_hand_done_test_earns_half_credit(proj):
    (proj/"products/04_models/search.json").unlink()
    assert items(card(proj))["M3"]["status"] == "unknown"
    attest(proj, "M3", "Ada", "tuned by hand", evidence=["notebooks/11_features.ipynb"])
    m3 = items(card(proj))["M3"]
    assert (m3["status"], m3["mode"], m3["credit"]) == ("pass", "manual", 0.5)
    assert any(e.get("path", "").endswith("03_features.ipynb") for e in m3["evidence"])


def test_blocking_and_severity_are_policy(proj):
    m = json.loads((proj/"products/05_evaluation/metrics.json").read_text()); m["test"]["roc_auc"] = 0.7
    write_json(proj/"products/05_evaluation/metrics.json", m)
    blocking = [t[0] for t in TESTS if t[0] != "I4"] + [c[0] for c in CHECKLIST if c[0] != "performance-thresholds"]
    assert decision(card(proj, {"readiness": {"blocking": blocking}})) == "needs-review"
    assert items(card(proj, {"readiness": {"severity": {"I4": "warn"}}}))["I4"]["status"] == "warn"


def test_denied_input_fails_unless_allowed(proj):
    for rel in ("03_features/transform.json", "06_export/transform.json"):
        s = json.loads((proj/"products"/rel).read_text()); s["columns"].append({"name": "sex", "kind": "categorical", "categories": ["F", "M"]})
        write_json(proj/"products"/rel, s)
    d4 = items(card(proj))["D4"]
    assert d4["status"] == "fail" and d4["measurements"][0]["columns"] == ["sex"]
    assert items(card(proj, {"readiness": {"allowed_inputs": ["sex"]}}))["D4"]["status"] == "pass"


# --- the gate command -------------------------------------------------------------------------------------------

def test_gate_cli_exit_codes_match_the_decision(proj, tmp_path):
    out = {}
    sc = card(proj); write_json(tmp_path/"go.json", sc); out["go"] = sc
    attest(proj, "D5", "Ada", "no deletion process", status="failed")
    write_json(tmp_path/"nogo.json", card(proj))
    attest(proj, "D5", "Ada", "fixed")
    doc = yaml.safe_load((proj/"readiness.yaml").read_text()); doc["manual_items"]["M2"]["status"] = None
    (proj/"readiness.yaml").write_text(yaml.safe_dump(doc))
    write_json(tmp_path/"review.json", card(proj))
    for name, code in [("go", 0), ("nogo", 1), ("review", 2)]:
        r = gate_cli(tmp_path/f"{name}.json")
        assert r.returncode == code, (name, r.stdout, r.stderr)
        assert r.returncode == {"go": 0, "no-go": 1, "needs-review": 2}[load_scorecard(tmp_path/f"{name}.json")["scores"]["gate"]["decision"]]
    r = gate_cli(tmp_path/"nogo.json")
    assert "Readiness gate: NO-GO" in r.stdout and "D5" in r.stdout
    assert "M2" in gate_cli(tmp_path/"review.json").stdout


def test_gate_cli_prints_blocking_measurements(proj, tmp_path):
    m = json.loads((proj/"products/05_evaluation/metrics.json").read_text()); m["test"]["roc_auc"] = 0.7
    write_json(proj/"products/05_evaluation/metrics.json", m)
    write_json(tmp_path/"sc.json", card(proj))
    r = gate_cli(tmp_path/"sc.json")
    assert r.returncode == 1 and "test roc_auc of the mlp model = 0.7 (needs >= 0.8)" in r.stdout


def test_gate_cli_missing_or_malformed_scorecard_exits_3(tmp_path):
    r = gate_cli(tmp_path/"nope.json")
    assert r.returncode == 3 and "no readiness scorecard at" in r.stderr
    (tmp_path/"bad.json").write_text("{not json")
    r = gate_cli(tmp_path/"bad.json")
    assert r.returncode == 3 and "is not valid JSON" in r.stderr
    write_json(tmp_path/"partial.json", {"subject": {}, "items": [], "scores": {"gate": {"decision": "go"}, "final": 1}})
    r = gate_cli(tmp_path/"partial.json")
    assert r.returncode == 3 and "28 tests" in r.stderr
    write_json(tmp_path/"weird.json", {"subject": {}, "items": [], "scores": {"gate": {"decision": "maybe"}}})
    assert gate_cli(tmp_path/"weird.json").returncode == 3


def test_gate_cli_refresh_rebuilds_from_evidence(proj):
    r = gate_cli("--refresh", cwd=proj, env={"SHIPSHAPE_ROOT": str(proj)})
    assert r.returncode == 0, r.stdout + r.stderr
    assert load_scorecard(proj/"products")["scores"]["gate"]["decision"] == "go"


# --- readiness.yaml -------------------------------------------------------------------------------------------

def test_attest_and_intake_round_trip(tmp_path):
    (tmp_path/"readiness.yaml").write_text("# reviewed like code\nintake:\n  answers:\n    decision: null  # what decision?\n")
    a = attest(tmp_path, "D6", "Ada", "a new feature takes a day", evidence=["docs/features.md"])
    r = read_readiness(tmp_path)["manual_items"]["D6"]
    assert {k: r[k] for k in ("status", "who", "comment", "evidence")} == {"status": "done", "who": "Ada", "comment": "a new feature takes a day", "evidence": ["docs/features.md"]}
    assert dt.datetime.fromisoformat(r["when"]) == dt.datetime.fromisoformat(a["when"])
    i = save_intake(tmp_path, {"decision": "which claims get a manual check", "end_users": "claims handlers"}, "Grace", {"target": "-20 % handling time"})
    assert i["answers"]["decision"] == "which claims get a manual check" and i["who"] == "Grace" and i["when"]
    assert read_readiness(tmp_path)["business_metric"]["target"] == "-20 % handling time"
    text = (tmp_path/"readiness.yaml").read_text()
    assert text.startswith("# reviewed like code") and "# what decision?" in text
    with pytest.raises(ValueError, match="unknown item"): attest(tmp_path, "Z1", "Ada")
    with pytest.raises(ValueError, match="unknown intake fields"): save_intake(tmp_path, {"budget": 1}, "Ada")


def test_the_project_readiness_yaml_is_valid_and_unattested():
    r = read_readiness(ROOT)
    assert all(not v["status"] and not v["who"] for v in list(r["manual_items"].values()) + list(r["sign_offs"].values()))
    assert set(r["manual_items"]) >= {"D3", "D5", "D6", "M2", "end-users-trained"}
    assert set(r["intake"]["answers"]) == {"decision", "current_process", "improvement_10", "improvement_25", "improvement_50", "end_users", "data_available"}
    assert set(r["business_metric"]) == {"metric", "baseline", "target", "owner"}


def test_editing_readiness_yaml_or_a_threshold_moves_the_decision(proj):
    doc = yaml.safe_load((proj/"readiness.yaml").read_text()); doc["manual_items"]["end-users-trained"]["status"] = None
    (proj/"readiness.yaml").write_text(yaml.safe_dump(doc))
    assert decision(refresh(proj)) == "needs-review"
    attest(proj, "end-users-trained", "Ada", "training session held")
    assert decision(refresh(proj)) == "go" and decision(load_scorecard(proj/"products")) == "go"
    assert decision(refresh(proj, {"evaluate": {"min_metric": 0.95}})) == "no-go"
    env = yaml.safe_load((proj/"env.yaml").read_text()); env["readiness"]["min_slice_ratio"] = 0.99
    (proj/"env.yaml").write_text(yaml.safe_dump(env))
    sc = refresh(proj)
    assert items(sc)["M6"]["status"] == "fail" and decision(sc) == "no-go"


# --- evidence producers ------------------------------------------------------------------------------------------

def test_dependency_check_flags_lock_changes(proj):
    from nbs_lib.readiness import dependency_check
    first = dependency_check(proj, proj/"products", {})
    assert first["baseline"] in (None, "the previous pipeline run") and first["changed"] == []
    (proj/"requirements.lock").write_text("numpy==2.5.0\ntorch==2.13.0\nrich==1.0\n")
    d = dependency_check(proj, proj/"products", {})
    assert d["changed"] == [{"package": "numpy", "from": "2.4.6", "to": "2.5.0"}] and d["added"] == ["rich"]


def test_batch_quality_scores_labelled_ledger_batches(tmp_path):
    import torch
    from nbs_lib.data import write_rows
    from nbs_lib.features import fit_transform_spec, save_spec, transform
    from nbs_lib.readiness import batch_quality
    from nbs_lib.train import fit_baseline, save_model
    rng = np.random.default_rng(0); P = tmp_path/"products"
    x = rng.normal(size=400); rows = pd.DataFrame({"x": x.round(3).astype(str), "y": np.where(x + rng.normal(scale=0.5, size=400) > 0, ">50K.", "<=50K.")}, dtype=object)
    spec = fit_transform_spec(rows, {"x": "numeric"}); save_spec(spec, P/"03_features/transform.json")
    model = fit_baseline(transform(spec, rows), (rows.y == ">50K.").to_numpy(np.float32)); save_model(model, P/"04_models/baseline.pt")
    write_json(P/"05_evaluation/metrics.json", {"model_file": str(P/"04_models/baseline.pt"), "test": {"roc_auc": 0.9}})
    write_rows(rows, P/"batches/b1.parquet"); write_rows(rows.drop(columns="y"), P/"batches/b2.parquet")
    (P/"ledger.jsonl").write_text(json.dumps({"file": "b1.csv", "status": "ok", "valid_path": str(P/"batches/b1.parquet")}) + "\n"
                                  + json.dumps({"file": "b2.csv", "status": "ok", "valid_path": str(P/"batches/b2.parquet")}) + "\n")
    q = batch_quality(P, {"dataset": {"target": "y", "positive_label": ">50K", "label_strip": "."}})
    assert [b["labelled"] for b in q["batches"]] == [True, False]
    assert q["batches"][0]["metrics"]["roc_auc"] > 0.8 and q["batches"][0]["rows"] == 400


# --- the real pipeline -----------------------------------------------------------------------------------------

def test_pipeline_writes_a_valid_scorecard_and_the_gate_agrees(built):
    P = built["products"]
    sc = load_scorecard(P)
    for i in sc["items"]:
        if i["mode"] == "automated":
            assert i["measurements"] and i["evidence"] and all(Path(e["path"]).exists() for e in i["evidence"] if "path" in e), i["id"]
    it = items(sc)
    for k in ("D1", "D2", "D4", "D7", "M5", "M6", "M7", "I1", "I2", "I3", "I5", "Mo4", "Mo5"):
        assert it[k]["mode"] == "automated", (k, it[k]["reason"])
    assert it["I1"]["measurements"][0]["value"] <= 1e-6 and it["D7"]["status"] == "pass"
    for f in ("fairness.json", "importance.json", "explanations.json", "modelcard.md", "modelcard.html", "datasheet.md", "datasheet.html"):
        assert (P/"readiness"/f).exists(), f
    r = gate_cli(P/"readiness/scorecard.json")
    assert r.returncode == {"go": 0, "no-go": 1, "needs-review": 2}[sc["scores"]["gate"]["decision"]]
    assert (P/"reports/readiness.html").exists()
