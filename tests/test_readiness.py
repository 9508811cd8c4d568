"""The readiness scorecard and its gate: readiness.yaml, the strict gate reader, the gate command, and the real build's decision."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import pytest, yaml
from conftest import ROOT

from nbs_lib.rubric import attest, read_readiness, save_intake
from nbs_lib.scorecard import GateError, check_scorecard, load_gate, load_scorecard, refresh

PY = sys.executable


def gate_cli(*args, cwd=ROOT, env=None):
    "The gate command, as CI runs it (through scorecard.main, which the `shipshape` console script calls)."
    code = "import sys; from nbs_lib.scorecard import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([PY, "-c", code, *map(str, args)], capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})})


@pytest.fixture
def empty(tmp_path):
    "A project with no evidence at all (this project's env.yaml, nothing built, no lock file): unknown, manual, and two honest failures."
    (tmp_path/"notebooks").mkdir()
    for f in ("env.yaml", "notebooks/11_features.ipynb"): shutil.copy2(ROOT/f, tmp_path/f)
    return tmp_path


# --- readiness.yaml -------------------------------------------------------------------------------------------

def test_attest_and_intake_round_trip(tmp_path):
    (tmp_path/"readiness.yaml").write_text("# reviewed like code\nintake:\n  answers:\n    decision: null  # what decision?\n")
    a = attest(tmp_path, "D6", "Ada", "a new feature takes a day", evidence=["docs/features.md"])
    r = read_readiness(tmp_path)["manual_items"]["D6"]
    assert {k: r[k] for k in ("status", "who", "comment", "evidence")} == {"status": "done", "who": "Ada", "comment": "a new feature takes a day", "evidence": ["docs/features.md"]}
    assert r["when"] == a["when"]
    i = save_intake(tmp_path, {"decision": "which claims get a manual check", "end_users": "claims handlers"}, "Grace", {"target": "-20 % handling time"})
    assert i["answers"]["decision"] == "which claims get a manual check"
    assert i["who"] == "Grace"
    assert read_readiness(tmp_path)["business_metric"]["target"] == "-20 % handling time"
    text = (tmp_path/"readiness.yaml").read_text()
    assert text.startswith("# reviewed like code")
    assert "# what decision?" in text
    with pytest.raises(ValueError, match="unknown item"): attest(tmp_path, "Z1", "Ada")
    with pytest.raises(ValueError, match="unknown item 'dim-ethical'"): attest(tmp_path, "dim-ethical", "Ada")
    with pytest.raises(ValueError, match="unknown intake fields"): save_intake(tmp_path, {"budget": 1}, "Ada")


def test_the_project_readiness_yaml_is_valid_and_unattested():
    r = read_readiness(ROOT)
    assert [k for k, v in {**r["manual_items"], **r["sign_offs"]}.items() if v["status"] or v["who"]] == []
    assert set(r["manual_items"]) >= {"D3", "D5", "D6", "M2", "end-users-trained"}
    assert set(r["intake"]["answers"]) == {"decision", "current_process", "improvement_10", "improvement_25", "improvement_50", "end_users", "data_available"}
    assert set(r["business_metric"]) == {"metric", "baseline", "target", "owner"}


# --- the strict gate -------------------------------------------------------------------------------------------

def test_load_gate_refuses_a_missing_malformed_or_stale_scorecard(empty):
    with pytest.raises(GateError, match="no readiness scorecard at"): load_gate(empty/"products")
    sc = refresh(empty)
    g = load_gate(empty/"products")
    assert (g["decision"], g["stale"]) == ("no-go", [])
    assert sorted(b["id"] for b in g["blocking"] if b["blocking"]) == ["Mo1", "monitoring-coverage"]     # no lock file; no business monitoring
    assert str(empty/"readiness.yaml") not in [e["path"] for e in sc["evidence_files"]]      # no readiness.yaml yet: not read
    attest(empty, "D3", "Ada", "costs reviewed")                                               # evidence changes after the build
    with pytest.raises(GateError, match=r"readiness.yaml \(appeared\)"): load_gate(empty/"products")
    refresh(empty)
    assert load_gate(empty/"products")["decision"] == "no-go"
    (empty/"products/readiness/scorecard.json").write_text("{not json")
    with pytest.raises(GateError, match="is not valid JSON"): load_gate(empty/"products")


def test_touching_an_evidence_file_makes_the_scorecard_stale(empty):
    (empty/"readiness.yaml").write_text((ROOT/"readiness.yaml").read_text())
    refresh(empty)
    os.utime(empty/"readiness.yaml", None)                                                     # content unchanged, time changed
    with pytest.raises(GateError, match=r"readiness.yaml \(modified\)"): load_gate(empty/"products")


# --- the gate command ------------------------------------------------------------------------------------------

def test_gate_command_exit_codes_on_an_empty_project(empty):
    env = {"SHIPSHAPE_ROOT": str(empty)}
    r = gate_cli("gate", cwd=empty, env=env)
    assert r.returncode == 3
    assert "no readiness scorecard at" in r.stderr
    r = gate_cli("gate", "--refresh", cwd=empty, env=env)
    assert r.returncode == 1                                                                    # no-go: no lock file, no business monitoring
    assert r.stdout.startswith("Readiness gate: NO-GO")
    (empty/"env.yaml").write_text((empty/"env.yaml").read_text() + "# a comment\n")
    r = gate_cli("gate", cwd=empty, env=env)
    assert r.returncode == 3
    assert "stale" in r.stderr and "env.yaml (modified)" in r.stderr
    (empty/"partial.json").write_text(json.dumps({"subject": {}, "items": [], "generated_at": "x", "scores": {"gate": {"decision": "go"}, "final": 1}}))
    r = gate_cli("gate", empty/"partial.json", cwd=empty, env=env)
    assert r.returncode == 3
    assert "28 tests" in r.stderr


# --- the real pipeline -----------------------------------------------------------------------------------------

def test_the_real_build_on_the_bundled_data_is_no_go_because_of_fairness_and_monitoring(built):
    "The test build of the bundled data (first registration): which items block, and which comparisons are n/a."
    sc = load_scorecard(built["products"])
    assert check_scorecard(sc) == []
    g = sc["scores"]["gate"]
    assert g["decision"] == "no-go"
    assert sorted(b["id"] for b in g["blocking"] if b["blocking"]) == ["M7", "fairness-audit", "monitoring-coverage"]
    it = {i["id"]: i for i in sc["items"]}
    assert {k: it[k]["status"] for k in ("Mo1", "Mo6")} == {"Mo1": "n/a", "Mo6": "n/a"}             # first registration
    assert [i["credit"] for i in (it["Mo1"], it["Mo6"])] == [0.0, 0.0]
    assert [m["na"] for m in it["I4"]["measurements"] if m.get("na")] == ["v0001 is the first version in production: nothing to compare with"]
    assert it["Mo3"]["status"] == "pass"
    assert it["Mo3"]["measurements"][2]["value"] <= 1e-4                                            # the standalone scorer on raw rows
    for f in ("fairness.json", "importance.json", "explanations.json", "skew.json", "modelcard.md", "modelcard.html", "datasheet.md"):
        assert (built["products"]/"readiness"/f).exists(), f
    assert sc["subject"]["production"] == "v0001"
