"""The registry heals or refuses, never bricks: injected kills at each registration step, racing registrations,
evidence before promotion, the gate passed in, preconditions before any move, version arguments (issue #20: 6, 7, 12)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT

GO = {"decision": "go", "blocking": []}


def _py(code: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    "Run `code` in a fresh Python process at the project root."
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ | (env or {}),
        **kw,
    )


def _weights(tmp: Path, text: str) -> Path:
    p = tmp / f"w-{abs(hash(text))}" / "model.bin"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def _register_in_child(reg: Path, weights: Path, kill_at: str | None = None, **meta) -> subprocess.CompletedProcess:
    code = f"""
        from nbs_lib.registry import register
        register({str(reg)!r}, {{"model": {str(weights)!r}}}, {meta!r}, who="child")
    """
    return _py(code, {"SHIPSHAPE_TEST_KILL_AT": kill_at} if kill_at else None)


@pytest.fixture
def reg(tmp_path):
    "A registry holding v0001 (production)."
    from nbs_lib.registry import register

    r = tmp_path / "registry"
    register(r, {"model": _weights(tmp_path, "weights 1")}, {"metrics": {}}, who="t")
    return r


# --- failure 6: a kill between the version folder's rename and the registry.json write bricked the registry -------------


def test_a_kill_right_after_the_version_folder_rename_never_bricks_the_registry(reg, tmp_path):
    "The kill is injected by wrapping os.rename (the same step on any version of the code): the next registration works."
    from nbs_lib.registry import read_state, register

    code = f"""
        import os, signal
        real = os.rename
        def rename_then_die(a, b): real(a, b); os.kill(os.getpid(), signal.SIGKILL)
        os.rename = rename_then_die
        from nbs_lib.registry import register
        register({str(reg)!r}, {{"model": {str(_weights(tmp_path, "weights 2"))!r}}}, {{"metrics": {{}}}}, who="killed")
    """
    assert _py(code).returncode == -signal.SIGKILL
    assert (reg / "versions/v0002").is_dir() and [v["version"] for v in read_state(reg)["versions"]] == ["v0001"]
    e = register(reg, {"model": _weights(tmp_path, "weights 3")}, {"metrics": {}}, who="t")
    state = read_state(reg)
    assert e["version"] == "v0003" and [v["version"] for v in state["versions"]] == ["v0001", "v0002", "v0003"]
    assert (reg / "versions/v0003/model.bin").read_text() == "weights 3"
    assert [(x["version"], x["outcome"]) for x in e["recovered"]] == [("v0002", "completed")]
    assert [h for h in state["history"] if h["action"] == "recover"][0]["version"] == "v0002"


@pytest.mark.parametrize(
    "step, outcome, versions",
    [
        ("copied", "rolled back", ["v0001", "v0003"]),  # an unfinished copy is removed; its number stays used
        ("renamed", "completed", ["v0001", "v0002", "v0003"]),  # a whole folder the state did not know is registered
        ("state-written", "completed", ["v0001", "v0002", "v0003"]),  # registered, marker left: the marker is cleared
    ],
)
def test_a_kill_at_each_registration_step_is_healed_by_the_next_change(reg, tmp_path, step, outcome, versions):
    from nbs_lib.registry import PENDING, list_versions, read_state, register

    r = _register_in_child(reg, _weights(tmp_path, "weights 2"), step, metrics={})
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert list_versions(reg)["pending"] == ["v0002"]
    e = register(reg, {"model": _weights(tmp_path, "weights 3")}, {"metrics": {}}, who="t")
    assert e["version"] == "v0003" and [x["outcome"] for x in e["recovered"]] == [outcome]
    assert e["recovered"][0]["version"] == "v0002"
    state = read_state(reg)
    assert [v["version"] for v in state["versions"]] == versions and state["aliases"]["candidate"] == "v0003"
    assert sorted(p.name for p in (reg / "versions").iterdir() if not p.name.startswith(".")) == versions
    assert not any((reg / "versions" / v / PENDING).exists() for v in versions) and list_versions(reg)["pending"] == []


def test_a_damaged_orphan_is_rolled_back_not_registered(reg, tmp_path):
    from nbs_lib.registry import read_state, register

    assert _register_in_child(reg, _weights(tmp_path, "weights 2"), "renamed").returncode == -signal.SIGKILL
    (reg / "versions/v0002/model.bin").write_text("changed after its sha256 was taken")
    e = register(reg, {"model": _weights(tmp_path, "weights 3")}, {}, who="t")
    assert e["version"] == "v0003" and e["recovered"][0]["outcome"] == "rolled back"
    assert "model.bin does not match its sha256" in e["recovered"][0]["detail"]
    assert [v["version"] for v in read_state(reg)["versions"]] == ["v0001", "v0003"]
    assert [p.name.split("-")[0] for p in (reg / "versions/.rolled-back").iterdir()] == ["v0002"]


def test_any_change_heals_first_even_one_that_is_refused(reg, tmp_path):
    "A promotion refused for its own reasons still completes the pending version and records that."
    from nbs_lib.registry import promote, read_state

    assert _register_in_child(reg, _weights(tmp_path, "weights 2"), "renamed").returncode == -signal.SIGKILL
    with pytest.raises(PermissionError, match="v0002 is not promotable"):
        promote("v0002", "t", reg=reg, gate=GO)
    state = read_state(reg)
    assert [v["version"] for v in state["versions"]] == ["v0001", "v0002"] and state["history"][-1][
        "action"
    ] == "recover"


# --- failure 7 (registry half): racing registrations never share a version number or a W&B run id ------------------------


def test_racing_registrations_get_distinct_versions_and_never_share_a_wandb_run_id(reg, tmp_path):
    go = tmp_path / "go"
    code = """
        import sys, time
        from pathlib import Path
        from nbs_lib.registry import register
        reg, weights, run, go = sys.argv[1:5]
        while not Path(go).exists(): time.sleep(0.01)
        print(register(reg, {"model": weights}, {"wandb_run": run}, who="racer")["version"])
    """
    runs = ["run-a", "run-b", "run-c", "run-c"]  # two racers try to claim the same W&B run id
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), str(reg), str(_weights(tmp_path, f"w{i}")), run, str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, run in enumerate(runs)
    ]
    time.sleep(1.0)
    go.write_text("")
    out = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    assert sorted(codes) == [0, 0, 0, 1], out
    assert "wandb_run 'run-c' already belongs to" in next(e for (o, e), c in zip(out, codes) if c)
    from nbs_lib.registry import read_state

    st = read_state(reg)
    got = [o.strip() for (o, _), c in zip(out, codes) if c == 0]
    assert sorted(got) == ["v0002", "v0003", "v0004"] and [v["version"] for v in st["versions"]] == [
        "v0001",
        *sorted(got),
    ]
    assert sorted(v.get("wandb_run") for v in st["versions"][1:]) == ["run-a", "run-b", "run-c"]
    for v in st["versions"][1:]:  # each folder holds what its own registration copied
        assert (reg / v["files"]["model"]).read_text() in {f"w{i}" for i, r in enumerate(runs) if r == v["wandb_run"]}


# --- failure 12 (register part) and evidence: a version is promotable only with its canary and drill recorded -------------


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    "Files of a small real model on 400 rows of the bundled adult.test (weights, ONNX bundle, holdout), and its labels."
    from nbs_lib.bundle import write_bundle
    from nbs_lib.config import load_env
    from nbs_lib.data import encode_labels, read_table, write_rows
    from nbs_lib.export import export_onnx
    from nbs_lib.features import fit_transform_spec, transform
    from nbs_lib.train import fit_baseline, save_model

    d = tmp_path_factory.mktemp("real")
    ds = load_env(root=ROOT)["dataset"]
    rows, _ = read_table(ROOT / "data/raw/adult.test", ds["format"], skip_lines=1)
    rows = rows.head(400).assign(income=lambda r: r.income.str.rstrip("."))
    y = encode_labels(rows.income, ">50K")
    spec = fit_transform_spec(rows, {"age": "numeric", "education-num": "numeric", "marital-status": "categorical"})
    net = fit_baseline(transform(spec, rows), y)
    b = write_bundle(d / "bundle", [export_onnx(net, len(spec["outputs"]), d / "model.onnx")], spec, ds, 0.5)
    files = {
        "model": save_model(net, d / "model.pt"),
        "onnx": b / "model.onnx",
        "bundle": b / "model.json",
        "holdout": write_rows(rows, d / "holdout.parquet"),
    }
    return {"files": files, "rows": rows, "y": y}


def _qualified_registry(tmp_path, real) -> Path:
    "A registry whose first version (production) is registered and qualified, as the register task leaves it."
    from nbs_lib.release import register_version

    r = tmp_path / "registry"
    register_version(r, real["files"], {"metrics": {}}, real["rows"], real["y"], {}, who="t")
    return r


def test_a_kill_after_registration_before_canary_and_drill_leaves_the_version_unpromotable(tmp_path, real):
    "The child registers, then dies before recording anything else (as a killed register task does)."
    from nbs_lib.registry import list_versions, promote, read_state

    reg = tmp_path / "registry"
    for who in ("first", "second"):
        code = f"""
            import os, signal
            from nbs_lib.registry import register
            register({str(reg)!r}, {json.dumps({k: str(p) for k, p in real["files"].items()})}, {{"metrics": {{}}}}, who={who!r})
            os.kill(os.getpid(), signal.SIGKILL)
        """
        assert _py(code).returncode == -signal.SIGKILL
    assert read_state(reg)["aliases"] == {"production": "v0001", "candidate": "v0002"}
    before = (reg / "registry.json").read_bytes()
    with pytest.raises(PermissionError, match="v0002 is not promotable: canary.json and drill.json not recorded"):
        promote("v0002", "t", reg=reg, root=ROOT, gate=GO)
    assert (reg / "registry.json").read_bytes() == before
    v2 = list_versions(reg)["versions"][0]
    assert (v2["version"], v2["promotable"], v2["missing_evidence"]) == ("v0002", False, ["canary.json", "drill.json"])
    from nbs_lib.release import qualify

    q = qualify("v0002", "t", reg=reg, policy={})  # recording them afterwards makes it promotable
    assert (q["canary"]["status"], q["canary"]["production"], q["drill"]["status"]) == ("pass", "v0001", "pass")
    assert promote("v0002", "t", reg=reg, gate=GO)["version"] == "v0002"


def test_a_kill_between_canary_and_drill_names_the_missing_drill(tmp_path, real):
    from nbs_lib.registry import check_promotable

    reg = _qualified_registry(tmp_path, real)
    code = f"""
        from nbs_lib.data import encode_labels, read_rows
        from nbs_lib.release import register_version
        rows = read_rows({str(real["files"]["holdout"])!r})
        register_version({str(reg)!r}, {json.dumps({k: str(p) for k, p in real["files"].items()})}, {{}}, rows,
                         encode_labels(rows.income, ">50K"), {{}}, who="killed")
    """
    assert _py(code, {"SHIPSHAPE_TEST_KILL_AT": "canary-recorded"}).returncode == -signal.SIGKILL
    assert (reg / "versions/v0002/canary.json").exists()
    with pytest.raises(PermissionError, match="v0002 is not promotable: drill.json not recorded"):
        check_promotable(reg, "v0002")


def test_the_first_version_has_no_canary_partner_its_canary_is_na(tmp_path, real):
    from nbs_lib.config import read_json
    from nbs_lib.release import FIRST_VERSION

    reg = _qualified_registry(tmp_path, real)
    c = read_json(reg / "versions/v0001/canary.json")
    assert (c["status"], c["passed"], c["reason"], c["production"], c["drop"]) == (
        "n/a",
        None,
        FIRST_VERSION,
        None,
        None,
    )
    assert c["candidate"] == "v0001" and 0.5 < c["candidate_value"] <= 1.0
    assert read_json(reg / "versions/v0001/drill.json")["status"] == "pass"


# --- the gate is passed in; every precondition is checked before anything moves ------------------------------------------


def test_the_registry_never_reads_readiness_the_gate_is_passed_in(tmp_path, real):
    "With no gate given, promote refuses, even where a scorecard would say go."
    from nbs_lib.registry import promote, read_state, register

    reg = tmp_path / "registry"
    for _ in range(2):
        register(reg, real["files"], {"metrics": {}}, who="t")
    with pytest.raises(ValueError, match="needs the readiness gate passed in"):
        promote("v0002", "t", reg=reg, root=ROOT)
    assert read_state(reg)["aliases"]["production"] == "v0001"


def test_refusals_change_nothing(tmp_path, real):
    from nbs_lib.registry import promote, read_state, register, rollback
    from nbs_lib.release import qualify

    reg = _qualified_registry(tmp_path, real)
    register(reg, real["files"], {"metrics": {}}, who="t")
    qualify("v0002", "t", reg=reg, policy={})
    before = (reg / "registry.json").read_bytes()
    refusals = [
        (lambda: promote("v0009", "t", reg=reg, gate=GO), "unknown model version"),
        (lambda: promote("v0002; touch x", "t", reg=reg, gate=GO), "is not a version id"),
        (lambda: promote("v0002", "t", reg=reg, gate={"decision": "no-go", "blocking": [{"id": "I4"}]}), "no-go: I4"),
        (lambda: promote("v0002", "t", override=True, reg=reg, gate=GO), "needs a reason"),
        (lambda: promote("v0002", "t", reg=reg, gate={"decision": "maybe"}), "decision in"),
        (lambda: promote("v0001", "t", reg=reg, gate=GO), "already in production"),
    ]
    for call, msg in refusals:
        with pytest.raises((ValueError, PermissionError), match=msg):
            call()
        assert (reg / "registry.json").read_bytes() == before
    promote("v0002", "t", reg=reg, gate=GO)
    (reg / "versions/v0001/model.onnx").unlink()  # the version to roll back to is damaged
    before = (reg / "registry.json").read_bytes()
    with pytest.raises(ValueError, match="cannot roll back to v0001: model.onnx is missing"):
        rollback("t", "test", reg=reg)
    assert (reg / "registry.json").read_bytes() == before and read_state(reg)["aliases"]["production"] == "v0002"


# --- version arguments: a version id or an alias, nothing else -------------------------------------------------------------


@pytest.mark.parametrize("bad", ["-h", "v0001; touch x", "../v0001", "v1"])
def test_version_arguments_must_be_a_version_id_or_an_alias(tmp_path, real, bad):
    from nbs_lib.ondemand import export_version
    from nbs_lib.registry import load
    from nbs_lib.release import promote_with_canary, score_batch

    reg = _qualified_registry(tmp_path, real)
    for call, what in [
        (lambda: load(bad, reg), "version"),
        (lambda: promote_with_canary(bad, root=ROOT), "version"),
        (lambda: export_version("onnx-fp32", bad, root=ROOT), "version"),
        (lambda: score_batch(tmp_path / "b.csv", tmp_path / "o.csv", bad, root=ROOT), "alias"),
    ]:
        with pytest.raises(ValueError, match=f"{what} {bad!r} is not a version id"):
            call()
    assert not (ROOT / "x").exists()


# --- release: the gate read strictly, the scorecard refreshed after a move and never hiding it ------------------------------


@pytest.fixture
def project(tmp_path, real):
    "A small project root (the project's env.yaml) whose registry holds v0001 (production) and v0002, both qualified."
    import yaml

    from nbs_lib.config import load_env, registry_dir
    from nbs_lib.release import register_version

    root = tmp_path / "project"
    root.mkdir()
    env = yaml.safe_load((ROOT / "env.yaml").read_text())
    env["readiness"]["feature_tests"] = []
    (root / "env.yaml").write_text(yaml.safe_dump(env))
    (root / "pipeline.yaml").write_text("tasks: []\n")
    reg = registry_dir(load_env(root=root), root)
    for _ in range(2):
        register_version(reg, real["files"], {"metrics": {}}, real["rows"], real["y"], {}, who="t")
    return {"root": root, "reg": reg, "products": root / "products/uci-adult"}


def test_promotion_reads_the_gate_strictly_and_refreshes_the_scorecard_only_after_a_move(project):
    from nbs_lib.registry import read_state
    from nbs_lib.release import promote_with_canary, rollback
    from nbs_lib.scorecard import load_gate, refresh

    root, reg, card = project["root"], project["reg"], project["products"] / "readiness/scorecard.json"
    with pytest.raises(PermissionError, match="the readiness gate cannot be read: .*scorecard"):
        promote_with_canary("v0002", "t", root=root)  # no scorecard: refused, not a silent default
    assert read_state(reg)["aliases"]["production"] == "v0001" and not card.exists()  # nothing moved, nothing refreshed
    refresh(root=root)
    gate, built_at = load_gate(project["products"]), card.stat().st_mtime_ns
    if gate["decision"] != "go":
        with pytest.raises(PermissionError, match=f"readiness gate (is {gate['decision']}|needs review)"):
            promote_with_canary("v0002", "t", root=root)
        assert read_state(reg)["aliases"]["production"] == "v0001" and card.stat().st_mtime_ns == built_at
    rec = promote_with_canary("v0002", "t", override_reason="test: promote past the gate", root=root)
    assert rec["scorecard"] == {"refreshed": True, "error": None} and rec["canary"]["status"] == "pass"
    assert load_gate(project["products"])["subject"]["production"] == "v0002"  # rebuilt after the move, not stale
    rb = rollback("t", "test", root=root)
    assert rb["scorecard"]["refreshed"] and load_gate(project["products"])["subject"]["production"] == "v0001"


def test_a_failed_refresh_never_undoes_or_hides_the_move(project):
    from nbs_lib.registry import read_state
    from nbs_lib.release import promote_with_canary

    (project["root"] / "readiness.yaml").write_text("items: [unclosed\n")  # the scorecard cannot be rebuilt
    rec = promote_with_canary("v0002", "t", override_reason="test: no scorecard", root=project["root"])
    assert rec["gate"] == "unavailable" and rec["override"] and "readiness gate unavailable" in rec["overridden"][0]
    assert read_state(project["reg"])["aliases"]["production"] == "v0002" == rec["version"]  # the move stands
    assert rec["scorecard"]["refreshed"] is False and "readiness.yaml is not valid YAML" in rec["scorecard"]["error"]
