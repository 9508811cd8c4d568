"""The readiness scorecard and its gate, on the recorded evidence of a real build (tests/fixtures/readiness) and on the
session's own test build: every automated item can pass and fail, n/a where no partner exists, the strict gate reader,
stale evidence, the header, the gate command."""

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from nbs_lib.checks import (
    EVALUATORS,
    PLANTS,
    Context,
    evaluate,
    recorded_at,
    recorded_project,
)
from nbs_lib.checks_suite import NOT_AUTOMATED, automated  # every evaluator registered
from nbs_lib.config import load_env, read_json, sha256_file, write_json
from nbs_lib.evidence import skew_check
from nbs_lib.readiness_widget import header_html
from nbs_lib.rubric import CHECKLIST, TEST_RUN, TESTS, attest, read_readiness, save_intake
from nbs_lib.scorecard import (
    GateError,
    build_scorecard,
    check_scorecard,
    gate_report,
    load_gate,
    load_scorecard,
    refresh,
)

PY = sys.executable


def gate_cli(*args, cwd=ROOT, env=None):
    "The `shipshape` console script, as CI runs it (`shipshape gate`)."
    exe = str(Path(PY).parent / "shipshape")
    return subprocess.run(
        [exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}
    )


@pytest.fixture
def empty(tmp_path):
    "A project with no evidence at all (this project's env.yaml, nothing built, no lock file): unknown, manual, and two honest failures."
    (tmp_path / "notebooks").mkdir()
    for f in ("env.yaml", "notebooks/11_features.ipynb"):
        shutil.copy2(ROOT / f, tmp_path / f)
    return tmp_path


@pytest.fixture
def rec(tmp_path):
    "A copy of the recorded project (a real test build of the bundled data, a monitoring run, a drift drill, a test run)."
    root = recorded_project(tmp_path / "project")
    return {"root": root, "products": root / "products/uci-adult", "at": recorded_at(root) + dt.timedelta(hours=1)}


def blocking(sc):
    return sorted(b["id"] for b in sc["scores"]["gate"]["blocking"] if b["blocking"])


def items(sc):
    return {i["id"]: i for i in sc["items"]}


# --- every check can pass and fail ------------------------------------------------------------------------------

MODE = {i: m for i, _, m in TESTS + CHECKLIST}


@pytest.mark.parametrize("item", list(MODE) + ["dim-ethical"])
def test_every_automated_item_has_a_planted_pass_and_fail(item, tmp_path):
    "The rubric, item by item: an automated item needs a planted case that passes and one that fails, and every case reaches its status."
    cases = PLANTS.get(item, [])
    if item in MODE and not automated(item):
        assert MODE[item] == "M" or NOT_AUTOMATED.get(item)  # manual by the rubric, or not automated, with the reason
    else:
        assert {"pass", "fail"} <= {p.expect for p in cases}
    for k, p in enumerate(cases):
        got = p.run(tmp_path / str(k)).status()
        assert (p.what, got) == (p.what, p.expect)


def test_manual_items_have_no_evaluator_pretending_otherwise():
    assert sorted(i for i, m in MODE.items() if m == "M" and i in EVALUATORS) == [
        "business-metrics"
    ]  # it only ever says manual or pass
    assert {p.expect for p in PLANTS["business-metrics"]} == {"manual", "pass"}


def test_the_skew_check_runs_the_standalone_scorer_and_catches_a_bundle_that_encodes_differently(rec):
    P = rec["products"]
    ok = skew_check(P)
    assert (ok["returncode"], ok["unscored"], ok["scored"]) == (0, 0, ok["rows"])
    assert ok["max_abs_diff"] <= 1e-4
    m = read_json(P / "06_export/bundle/model.json")
    next(c for c in m["transform"]["columns"] if c["name"] == "age")["mean"] += 5  # serving scales age differently
    write_json(P / "06_export/bundle/model.json", m)
    write_json(P / "readiness/skew.json", skew_check(P))
    mo3 = evaluate(Context(rec["root"], P, load_env(root=rec["root"]), rec["at"]), "Mo3")
    assert mo3.status() == "fail"
    assert [x["value"] > 0.01 for x in mo3.measurements if x["name"].startswith("max |Δprobability|")] == [True]


# --- the scorecard on the recorded build ------------------------------------------------------------------------


def test_first_registration_comparisons_are_n_a_and_earn_nothing_while_a_failing_test_earns_its_point(rec):
    it = items(refresh(rec["root"], at=rec["at"]))
    assert {k: (it[k]["status"], it[k]["credit"]) for k in ("Mo1", "Mo6")} == {"Mo1": ("n/a", 0.0), "Mo6": ("n/a", 0.0)}
    assert "v0001 is the first version in production" in it["Mo6"]["reason"]
    assert it["I6"]["status"] == "pass"  # ONNX parity measured; the canary part is n/a
    assert [m["na"] for m in it["I6"]["measurements"] if m.get("na")] == [
        "first registered version: no production model to compare against"
    ]
    assert (it["M7"]["status"], it["M7"]["credit"]) == ("fail", 1.0)


def test_refresh_records_every_file_it_read_with_sha256_and_mtime(rec):
    sc = refresh(rec["root"], at=rec["at"])
    files = {e["path"]: e for e in sc["evidence_files"]}
    P = rec["products"]
    for f in (
        rec["root"] / "readiness.yaml",
        rec["root"] / "env.yaml",
        rec["root"] / "registry/uci-adult/registry.json",
        P / "ledger.jsonl",
        P / "monitoring/latest.json",
        rec["root"] / ".shipshape/evidence/tests.json",
        P / "readiness/skew.json",
    ):
        assert (files[str(f)]["sha256"], files[str(f)]["mtime_ns"]) == (sha256_file(f), f.stat().st_mtime_ns)


def test_touched_evidence_makes_the_gate_stale_until_refreshed(rec):
    root, P = rec["root"], rec["products"]
    refresh(root, at=rec["at"])
    os.utime(P / "ledger.jsonl")  # what a monitoring run does
    with pytest.raises(GateError, match=r"stale: .*ledger.jsonl \(modified\)"):
        load_gate(P)
    refresh(root, at=rec["at"])
    assert load_gate(P)["decision"] == "no-go"


def test_evidence_that_appears_after_the_build_makes_the_gate_stale(rec):
    root, P = rec["root"], rec["products"]
    (P / "monitoring/latest.json").rename(root / "latest.json")
    sc = refresh(root, at=rec["at"])
    assert "monitoring/latest.json is missing" in items(sc)["monitoring-coverage"]["reason"]
    (root / "latest.json").rename(P / "monitoring/latest.json")  # the monitoring job ran
    with pytest.raises(GateError, match=r"latest.json \(appeared\)"):
        load_gate(P)
    assert "latest.json is missing" not in (items(refresh(root, at=rec["at"]))["monitoring-coverage"]["reason"] or "")


def test_the_subject_names_the_version_production_serves_after_an_attestation(rec):
    attest(rec["root"], "D3", "Ada", "feature costs reviewed")
    sc = refresh(rec["root"], at=rec["at"])
    assert (sc["subject"]["production"], sc["subject"]["model"]["version"]) == ("v0001", "v0001")
    assert "registered as v0001; production serves v0001" in gate_report(sc)
    assert "unregistered" not in gate_report(sc) + header_html(sc)


def test_the_header_puts_the_decision_and_blocking_titles_first_and_says_what_each_count_counts(rec):
    sc = refresh(rec["root"], at=rec["at"])
    for text in (gate_report(sc), re.sub("<[^>]+>", " ", header_html(sc))):
        order = [
            text.index(s)
            for s in (
                "NO-GO" if "NO-GO" in text else "no-go",
                "The model is tested for inclusion (fairness)",
                "Monitoring covers infrastructure, data, model and business",
                "ML Test Score",
                "testing maturity",
            )
        ]
        assert order == sorted(order)
        assert re.search(r"[Cc]redit earned per section \(of 7", text)
        assert re.search(r"[Tt]ests run:\s+\d+ of 28", text)
        assert re.search(r"[Tt]ests passing:\s+\d+ of 28", text)


def test_blocking_is_policy(rec):
    ids = [i for i in MODE if i not in ("M7", "fairness-audit", "monitoring-coverage")]
    sc = refresh(rec["root"], {"readiness": {"blocking": ids}}, at=rec["at"])
    assert (sc["scores"]["gate"]["decision"], blocking(sc)) == ("needs-review", [])


def test_monitoring_coverage_ignores_alert_text_in_the_configuration(rec):
    "Listing alerts per layer in env text changes nothing: coverage comes from the alert kinds the monitoring job implements."
    env = load_env(root=rec["root"]) | {
        "monitoring": {"alerts": {layer: ["an alert"] for layer in ("infrastructure", "data", "model", "business")}}
    }
    mc = items(build_scorecard(rec["root"], rec["products"], env, rec["at"]))["monitoring-coverage"]
    assert mc["status"] == "fail"
    assert mc["measurements"][0]["layers"] == ["business"]


# --- the gate command -----------------------------------------------------------------------------------------


def _all_answered(root):
    "Everything a person can do on the recorded project: a fair audit (planted), every attestation, the intake and a business metric."
    from nbs_lib.checks_model import _equal_rates

    _equal_rates(root)
    save_intake(
        root,
        {
            k: f"answer to {k}"
            for k in (
                "decision",
                "current_process",
                "improvement_10",
                "improvement_25",
                "improvement_50",
                "end_users",
                "data_available",
            )
        },
        "Ada",
        {"metric": "review hours", "baseline": "120 h/week", "target": "80 h/week", "owner": "operations"},
    )
    for k in (
        "D3",
        "D5",
        "D6",
        "M2",
        "end-users-trained",
        "M4",
        "fairness",
        "model-card",
        "M1",
        "I3",
        "training-reproducible",
    ):
        attest(root, k, "Ada", f"{k} reviewed")


def test_the_gate_command_exits_with_the_decision_or_3(rec):
    root, P = rec["root"], rec["products"]
    sc_path = P / "readiness/scorecard.json"
    refresh(root, at=rec["at"])
    r = gate_cli("gate", sc_path, cwd=root)
    assert r.returncode == 1
    assert r.stdout.startswith("Readiness gate: NO-GO")
    os.utime(P / "readiness/fairness.json")
    r = gate_cli("gate", sc_path, cwd=root)
    assert r.returncode == 3
    assert "stale" in r.stderr and "fairness.json (modified)" in r.stderr
    _all_answered(root)
    refresh(root, at=rec["at"])
    r = gate_cli("gate", sc_path, cwd=root)
    assert r.returncode == 0
    assert r.stdout.startswith("Readiness gate: GO")
    attest(root, "D5", "Ada", "no deletion process yet", status="failed")
    refresh(root, at=rec["at"])
    assert gate_cli("gate", sc_path, cwd=root).returncode == 1
    attest(root, "D5", "Ada", "deletion process documented")
    doc = read_readiness(root)
    assert doc["manual_items"]["M2"]["status"] == "done"
    text = (root / "readiness.yaml").read_text()
    (root / "readiness.yaml").write_text(
        text.replace(
            "M2:\n    question: Do offline metrics correlate with online (A/B) results?\n    status: done",
            "M2:\n    question: Do offline metrics correlate with online (A/B) results?\n    status: null",
        )
    )
    refresh(root, at=rec["at"])
    r = gate_cli("gate", sc_path, cwd=root)
    assert r.returncode == 2
    assert "Offline and online metrics correlate [M2, manual]" in r.stdout


# --- readiness.yaml -------------------------------------------------------------------------------------------


def test_attest_and_intake_round_trip(tmp_path):
    (tmp_path / "readiness.yaml").write_text(
        "# reviewed like code\nintake:\n  answers:\n    decision: null  # what decision?\n"
    )
    a = attest(tmp_path, "D6", "Ada", "a new feature takes a day", evidence=["docs/features.md"])
    r = read_readiness(tmp_path)["manual_items"]["D6"]
    assert {k: r[k] for k in ("status", "who", "comment", "evidence")} == {
        "status": "done",
        "who": "Ada",
        "comment": "a new feature takes a day",
        "evidence": ["docs/features.md"],
    }
    assert r["when"] == a["when"]
    i = save_intake(
        tmp_path,
        {"decision": "which claims get a manual check", "end_users": "claims handlers"},
        "Grace",
        {"target": "-20 % handling time"},
    )
    assert i["answers"]["decision"] == "which claims get a manual check"
    assert i["who"] == "Grace"
    assert read_readiness(tmp_path)["business_metric"]["target"] == "-20 % handling time"
    text = (tmp_path / "readiness.yaml").read_text()
    assert text.startswith("# reviewed like code")
    assert "# what decision?" in text
    with pytest.raises(ValueError, match="unknown item"):
        attest(tmp_path, "Z1", "Ada")
    with pytest.raises(ValueError, match="unknown item 'dim-ethical'"):
        attest(tmp_path, "dim-ethical", "Ada")
    with pytest.raises(ValueError, match="unknown intake fields"):
        save_intake(tmp_path, {"budget": 1}, "Ada")


def test_the_project_readiness_yaml_is_valid_and_unattested():
    r = read_readiness(ROOT)
    assert [k for k, v in {**r["manual_items"], **r["sign_offs"]}.items() if v["status"] or v["who"]] == []
    assert set(r["manual_items"]) >= {"D3", "D5", "D6", "M2", "end-users-trained"}
    assert set(r["intake"]["answers"]) == {
        "decision",
        "current_process",
        "improvement_10",
        "improvement_25",
        "improvement_50",
        "end_users",
        "data_available",
    }
    assert set(r["business_metric"]) == {"metric", "baseline", "target", "owner"}


# --- the strict gate -------------------------------------------------------------------------------------------


def test_load_gate_refuses_a_missing_malformed_or_stale_scorecard(empty):
    with pytest.raises(GateError, match="no readiness scorecard at"):
        load_gate(empty / "products/uci-adult")
    sc = refresh(empty)
    g = load_gate(empty / "products/uci-adult")
    assert (g["decision"], g["stale"]) == ("no-go", [])
    assert sorted(b["id"] for b in g["blocking"] if b["blocking"]) == [
        "Mo1",
        "monitoring-coverage",
    ]  # no lock file; no business monitoring
    assert str(empty / "readiness.yaml") not in [
        e["path"] for e in sc["evidence_files"]
    ]  # no readiness.yaml yet: not read
    attest(empty, "D3", "Ada", "costs reviewed")  # evidence changes after the build
    with pytest.raises(GateError, match=r"readiness.yaml \(appeared\)"):
        load_gate(empty / "products/uci-adult")
    refresh(empty)
    assert load_gate(empty / "products/uci-adult")["decision"] == "no-go"
    (empty / "products/uci-adult/readiness/scorecard.json").write_text("{not json")
    with pytest.raises(GateError, match="is not valid JSON"):
        load_gate(empty / "products/uci-adult")


def test_touching_an_evidence_file_makes_the_scorecard_stale(empty):
    (empty / "readiness.yaml").write_text((ROOT / "readiness.yaml").read_text())
    refresh(empty)
    os.utime(empty / "readiness.yaml", None)  # content unchanged, time changed
    with pytest.raises(GateError, match=r"readiness.yaml \(modified\)"):
        load_gate(empty / "products/uci-adult")


# --- the gate command ------------------------------------------------------------------------------------------


def test_gate_command_exit_codes_on_an_empty_project(empty):
    env = {"SHIPSHAPE_ROOT": str(empty)}
    r = gate_cli("gate", cwd=empty, env=env)
    assert r.returncode == 3
    assert "no readiness scorecard at" in r.stderr
    r = gate_cli("gate", "--refresh", cwd=empty, env=env)
    assert r.returncode == 1  # no-go: no lock file, no business monitoring
    assert r.stdout.startswith("Readiness gate: NO-GO")
    (empty / "env.yaml").write_text((empty / "env.yaml").read_text() + "# a comment\n")
    r = gate_cli("gate", cwd=empty, env=env)
    assert r.returncode == 3
    assert "stale" in r.stderr and "env.yaml (modified)" in r.stderr
    (empty / "partial.json").write_text(
        json.dumps(
            {"subject": {}, "items": [], "generated_at": "x", "scores": {"gate": {"decision": "go"}, "final": 1}}
        )
    )
    r = gate_cli("gate", empty / "partial.json", cwd=empty, env=env)
    assert r.returncode == 3
    assert "28 tests" in r.stderr


# --- the real pipeline -----------------------------------------------------------------------------------------


def test_the_real_build_on_the_bundled_data_is_no_go_because_of_fairness_and_monitoring(built):
    "The test build of the bundled data (first registration): which items block, and which comparisons are n/a."
    sc = load_scorecard(built["products"])
    assert check_scorecard(sc) == []
    assert load_gate(built["products"])["decision"] == "no-go"  # current: nothing changed after the build
    g = sc["scores"]["gate"]
    assert g["decision"] == "no-go"
    # The fairness audit fails (M7 and the checklist's fairness-audit: parity differences of 0.2-0.5 across sex and race),
    # and the monitoring job has no business-layer alert while no business metric is configured (monitoring-coverage).
    # Serving latency is measured on the machine at hand: a loaded shared CPU may miss the 5 ms p99 budget, so it is left out.
    # I3 reads this checkout's last recorded test run (`make test` writes it after the suite): a fresh clone has none
    # while the suite runs (I3 unknown), a developer's checkout may hold an older, failing one.
    assert [i for i in blocking(sc) if i not in ("serving-latency", "I3")] == [
        "M7",
        "fairness-audit",
        "monitoring-coverage",
    ]
    it = {i["id"]: i for i in sc["items"]}
    if not (ROOT / TEST_RUN).exists():
        assert it["I3"]["status"] == "unknown"
    assert it["M3"]["status"] == "pass"  # the search ran and the chosen model carries its winner's settings
    assert {k: it[k]["status"] for k in ("Mo1", "Mo6")} == {"Mo1": "n/a", "Mo6": "n/a"}  # first registration
    assert [i["credit"] for i in (it["Mo1"], it["Mo6"])] == [0.0, 0.0]
    assert [m["na"] for m in it["I4"]["measurements"] if m.get("na")] == [
        "v0001 is the first version in production: nothing to compare with"
    ]
    assert it["Mo3"]["status"] == "pass"  # the standalone scorer on raw rows
    assert [m["value"] <= 1e-4 for m in it["Mo3"]["measurements"] if m["name"].startswith("max |Δprobability|")] == [
        True
    ]
    for f in (
        "fairness.json",
        "importance.json",
        "explanations.json",
        "skew.json",
        "modelcard.md",
        "modelcard.html",
        "datasheet.md",
    ):
        assert (built["products"] / "readiness" / f).exists(), f
    assert sc["subject"]["production"] == "v0001"
