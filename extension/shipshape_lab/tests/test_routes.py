"""Every /shipshape/ route through a real Jupyter server (jp_fetch), on a real built project."""
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

GETS = ["context", "readiness", "pipeline", "pipeline/runs", "drift", "export"]
POSTS = ["readiness/attest", "readiness/intake", "pipeline/run", "drift/run", "export/run", "registry/promote",
         "registry/rollback"]
EXT = Path(__file__).resolve().parents[2]


async def fetch(jp_fetch, route, body=None, method=None, **kw):
    "(status, JSON body) of a request; errors are answers too."
    if body is not None and not isinstance(body, (str, bytes)): body = json.dumps(body)
    r = await jp_fetch("shipshape", route, method=method or ("POST" if body is not None else "GET"), body=body,
                       raise_error=False, **kw)
    assert r.headers["Content-Type"].startswith("application/json"), (route, r.code, r.body[:300])
    return r.code, json.loads(r.body)


async def wait_idle(jp_fetch, timeout=600):
    "Poll the run list until no pipeline run is live; the last state."
    t0 = time.time()
    while time.time() - t0 < timeout:
        code, st = await fetch(jp_fetch, "pipeline/runs")
        assert code == 200, st
        if not st["running"]: return st
        await asyncio.sleep(1)
    raise AssertionError(f"pipeline still running after {timeout} s: {st}")


# --- authentication --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("route", GETS)
async def test_get_routes_need_a_token(jp_fetch, empty_project, route):
    code, body = await fetch(jp_fetch, route, headers={"Authorization": ""})
    assert code == 403 and body["message"]


@pytest.mark.parametrize("route", POSTS)
async def test_post_routes_need_a_token(jp_fetch, empty_project, route):
    code, body = await fetch(jp_fetch, route, {"confirm": True}, headers={"Authorization": ""})
    assert code == 403 and body["message"]


def test_the_templates_auth_check_passes():
    r = subprocess.run([sys.executable, str(EXT/".github"/"scripts"/"check_auth.py")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "All endpoints of the extension require authentication" in r.stdout, r.stderr[-2000:]


async def test_unknown_routes_answer_json_404(jp_fetch, empty_project):
    code, body = await fetch(jp_fetch, "nope")
    assert code == 404 and "no such Shipshape route" in body["message"]


# --- request validation ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("route", POSTS)
@pytest.mark.parametrize("body", ["{not json", "[1, 2]", "\xff"])
async def test_malformed_json_is_refused(jp_fetch, empty_project, route, body):
    code, reply = await fetch(jp_fetch, route, body.encode("latin-1"))
    assert code == 400, reply
    assert "JSON" in reply["message"] and "Traceback" not in reply["message"]


@pytest.mark.parametrize("batch", ["../outside.csv", "data/../../outside.csv", "/etc/passwd", "..", ""])
async def test_batch_paths_must_stay_in_the_project(jp_fetch, empty_project, batch):
    (empty_project.parent/"outside.csv").write_text("age\n1\n")
    code, reply = await fetch(jp_fetch, "drift/run", {"batch": batch})
    assert code == 400, reply
    assert "batch" in reply["message"]


async def test_links_out_of_the_project_are_refused(jp_fetch, empty_project):
    (empty_project.parent/"secret").mkdir(); (empty_project.parent/"secret"/"b.csv").write_text("age\n1\n")
    (empty_project/"data"/"link").symlink_to(empty_project.parent/"secret")
    code, reply = await fetch(jp_fetch, "drift/run", {"batch": "data/link/b.csv"})
    assert code == 400 and "outside the project root" in reply["message"]


@pytest.mark.parametrize("env", ["../env.yaml", "/etc/hostname"])
async def test_env_override_paths_must_stay_in_the_project(jp_fetch, empty_project, env):
    code, reply = await fetch(jp_fetch, "pipeline/run", {"env": env})
    assert code == 400 and "env" in reply["message"]
    assert not (empty_project/"products"/"jobs"/"pipeline.json").exists()


async def test_missing_batch_file_is_404(jp_fetch, empty_project):
    code, reply = await fetch(jp_fetch, "drift/run", {"batch": "data/incoming/none.csv"})
    assert code == 404 and "does not exist" in reply["message"]


# --- an unbuilt project says plainly what is missing -----------------------------------------------------------

async def test_context_locates_the_project(jp_fetch, empty_project):
    code, ctx = await fetch(jp_fetch, "context")
    assert code == 200 and Path(ctx["root"]) == empty_project.resolve()
    assert Path(ctx["products"]) == empty_project.resolve()/"products"
    assert ctx["available"]["registry"] is True


async def test_no_scorecard_yet_is_a_404_saying_how_to_make_one(jp_fetch, empty_project):
    code, reply = await fetch(jp_fetch, "readiness")
    assert code == 404 and "no readiness scorecard exists yet" in reply["message"] and "make run" in reply["message"]


async def test_no_monitoring_report_yet_is_a_404_with_the_batches(jp_fetch, empty_project):
    (empty_project/"data"/"incoming").mkdir(parents=True)
    (empty_project/"data"/"incoming"/"b1.csv").write_text("age\n1\n")
    code, reply = await fetch(jp_fetch, "drift")
    assert code == 404 and "no monitoring report exists yet" in reply["message"]
    assert reply["batches"] == ["data/incoming", "data/incoming/b1.csv"] and reply["job"] is None


async def test_pipeline_of_an_unbuilt_project(jp_fetch, empty_project):
    code, st = await fetch(jp_fetch, "pipeline")
    assert code == 200 and st["runs"] == [] and not st["running"]
    assert st["tasks"] and all(t["outdated"] and t["why"] == ["never built"] for t in st["tasks"])


async def test_server_outside_any_project_says_so(jp_fetch, monkeypatch):
    monkeypatch.delenv("SHIPSHAPE_ROOT", raising=False)
    code, reply = await fetch(jp_fetch, "context")
    assert code == 404 and "no Shipshape project" in reply["message"]


# --- a built project --------------------------------------------------------------------------------------------

def pipeline_tasks(project):
    return [t["name"] for t in yaml.safe_load((project/"pipeline.yaml").read_text())["tasks"]]


async def test_pipeline_lists_tasks_and_runs(jp_fetch, at_project):
    code, st = await fetch(jp_fetch, "pipeline")
    assert code == 200
    assert sorted(t["name"] for t in st["tasks"]) == sorted(pipeline_tasks(at_project))
    first = st["runs"][-1]
    assert first["status"] == "ok" and first["trigger"] == "make run"
    assert all(Path(t["notebook"]).exists() for t in first["tasks"])


async def test_a_run_from_the_panel_runs_to_completion_and_a_second_is_refused(jp_fetch, at_project):
    products = at_project/"products"
    (products/"07_report"/"wandb.json").unlink()                # the report task (and what follows it) is now outdated
    code, st = await fetch(jp_fetch, "pipeline")
    outdated = [t["name"] for t in st["tasks"] if t["outdated"]]
    assert "report" in outdated and "ingest" not in outdated

    code, started = await fetch(jp_fetch, "pipeline/run", {})
    assert code == 202, started
    job = started["job"]
    assert job["argv"][1:] == ["-m", "nbs_lib.pipeline", "build", "--trigger", "panel"]
    code, again = await fetch(jp_fetch, "pipeline/run", {})
    assert code == 409 and "already in progress" in again["message"]

    st = await wait_idle(jp_fetch)
    run = next(r for r in st["runs"] if r["trigger"] == "panel")
    assert run["status"] == "ok", run.get("error")
    ran = {t["name"] for t in run["tasks"] if t["ran"]}
    assert ran == set(outdated)
    assert Path(run["log"]) == products/"runs"/f"{run['id']}.log" and Path(run["log"]).stat().st_size > 0
    assert (products/"07_report"/"wandb.json").exists()
    code, st = await fetch(jp_fetch, "pipeline")
    assert not any(t["outdated"] for t in st["tasks"])


async def test_a_live_make_run_blocks_the_panel_and_a_dead_one_does_not(jp_fetch, at_project):
    runs = at_project/"products"/"runs"
    rec = {"id": "run-fake-make-run", "trigger": "make run", "status": "running", "started_at": "2026-01-01T00:00:00+00:00",
           "current": "train", "tasks": [{"name": "train", "status": "pending"}]}
    (runs/"run-fake-make-run.json").write_text(json.dumps(rec))
    # a process that looks like `python -m nbs_lib.pipeline build` working in this project
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "-m", "nbs_lib.pipeline", "build"], cwd=at_project)
    try:
        code, reply = await fetch(jp_fetch, "pipeline/run", {})
        assert code == 409 and "run-fake-make-run" in reply["message"] and "make run" in reply["message"]
    finally:
        p.kill(); p.wait()
    code, st = await fetch(jp_fetch, "pipeline/runs")
    fake = next(r for r in st["runs"] if r["id"] == "run-fake-make-run")
    assert fake["alive"] is False and not st["running"]
    (runs/"run-fake-make-run.json").unlink()


async def test_export_view_data(jp_fetch, at_project):
    code, ex = await fetch(jp_fetch, "export")
    assert code == 200, ex
    import torch
    trt = ex["availability"]["tensorrt-fp16"]
    if not torch.cuda.is_available():
        assert trt["available"] is False and "GPU" in trt["reason"]
    assert {t["target"] for t in ex["export"]["targets"]} >= {"onnx-fp32"}
    assert ex["gate"]["decision"] in {"go", "no-go", "needs-review", "unknown"}


async def test_unavailable_or_unknown_export_targets_are_refused(jp_fetch, at_project):
    import torch
    code, reply = await fetch(jp_fetch, "export/run", {"target": "pdf"})
    assert code == 400 and "unknown export target" in reply["message"]
    if not torch.cuda.is_available():
        code, reply = await fetch(jp_fetch, "export/run", {"target": "tensorrt-fp16"})
        assert code == 409 and "GPU" in reply["message"]


@pytest.mark.parametrize("route", ["registry/promote", "registry/rollback"])
async def test_registry_moves_need_confirmation(jp_fetch, at_project, route):
    code, reply = await fetch(jp_fetch, route, {"version": "v0001"})
    assert code == 400 and "confirm" in reply["message"]


# --- readiness: the scorecard, readiness.yaml, attestations, the intake ----------------------------------------

def readiness_yaml(project):
    return yaml.safe_load((project/"readiness.yaml").read_text())


async def test_readiness_returns_the_scorecard(jp_fetch, at_project):
    from nbs_lib.readiness import load_scorecard
    code, card = await fetch(jp_fetch, "readiness")
    assert code == 200
    assert card == json.loads(json.dumps(load_scorecard(at_project/"products")))
    assert len(card["items"]) == 28 + 10 + 4 and card["scores"]["gate"]["decision"] in {"go", "no-go", "needs-review"}


async def test_answers_list_the_questions_and_the_file(jp_fetch, at_project):
    code, a = await fetch(jp_fetch, "readiness/answers")
    assert code == 200
    assert "D3" in a["manual_items"] and "decision" in a["questions"] and "owner" in a["business_metric"]
    assert set(a["answers"]) >= {"intake", "business_metric", "manual_items", "sign_offs"}


async def test_attesting_a_manual_item_writes_readiness_yaml_and_refreshes_the_scorecard(jp_fetch, at_project):
    code, ctx = await fetch(jp_fetch, "context")
    code, card = await fetch(jp_fetch, "readiness/attest", {"item": "D6", "comment": "a feature takes a day to add",
                                                            "evidence": ["env.yaml"]})
    assert code == 200, card
    d6 = readiness_yaml(at_project)["manual_items"]["D6"]
    assert (d6["status"], d6["who"], d6["comment"], d6["evidence"]) == ("done", ctx["user"], "a feature takes a day to add", ["env.yaml"])
    item = next(i for i in card["items"] if i["id"] == "D6")
    assert item["status"] == "pass" and item["attestation"]["who"] == ctx["user"]
    assert json.loads((at_project/"products"/"readiness"/"scorecard.json").read_text())["generated_at"] == card["generated_at"]


@pytest.mark.parametrize("body, words", [({"item": "X9"}, "unknown item 'X9'"), ({"item": "D6", "status": "maybe"}, "status must be one of"),
                                         ({"item": "D6", "evidence": ["../secret.md"]}, "'..'"),
                                         ({"item": "D6", "evidence": ["/etc/passwd"]}, "absolute"),
                                         ({"item": "D6", "evidence": "notes.md"}, "must be a list"), ({}, "\"item\"")])
async def test_bad_attestations_are_refused_and_nothing_is_written(jp_fetch, at_project, body, words):
    before = (at_project/"readiness.yaml").read_text() if (at_project/"readiness.yaml").exists() else None
    code, reply = await fetch(jp_fetch, "readiness/attest", body)
    assert code == 400 and words in reply["message"], reply
    assert ((at_project/"readiness.yaml").read_text() if before is not None else None) == before


async def test_intake_answers_are_saved_with_who_and_when(jp_fetch, at_project):
    code, ctx = await fetch(jp_fetch, "context")
    code, card = await fetch(jp_fetch, "readiness/intake", {"answers": {"decision": "which applications get a manual review"},
                                                            "business_metric": {"owner": "risk team"}})
    assert code == 200, card
    doc = readiness_yaml(at_project)
    assert doc["intake"]["answers"]["decision"] == "which applications get a manual review"
    assert doc["intake"]["who"] == ctx["user"] and doc["intake"]["when"] and doc["business_metric"]["owner"] == "risk team"
    code, reply = await fetch(jp_fetch, "readiness/intake", {"answers": {"colour": "red"}})
    assert code == 400 and "unknown intake fields" in reply["message"]


# --- registry: promotion gated by the readiness gate, override recorded, rollback ------------------------------

async def test_promotion_is_gated_by_evidence_and_an_override_is_recorded(jp_fetch, at_project):
    from nbs_lib.registry import read_state, register, registry_dir
    from nbs_lib.config import load_env
    reg = registry_dir(load_env(root=at_project), at_project)
    v1 = read_state(reg)["versions"][0]
    v2 = register(reg, {k: reg/p for k, p in v1["files"].items()}, {"metrics": v1["metrics"], "note": "a copy of v0001"}, who="pytest")
    code, ctx = await fetch(jp_fetch, "context")
    # a failed manual check makes the gate no-go
    code, card = await fetch(jp_fetch, "readiness/attest", {"item": "D5", "status": "failed", "comment": "no deletion process"})
    assert card["scores"]["gate"]["decision"] == "no-go"
    code, reply = await fetch(jp_fetch, "registry/promote", {"version": v2["version"], "confirm": True})
    assert code == 409 and "no-go" in reply["message"]
    assert "D5" in [b["id"] for b in reply["gate"]["blocking"] if b["blocking"]]
    assert read_state(reg)["aliases"]["production"] == v1["version"]

    code, reply = await fetch(jp_fetch, "registry/promote", {"version": v2["version"], "confirm": True,
                                                             "override_reason": "hotfix: the old model mislabels a region"})
    assert code == 200, reply
    st = read_state(reg)
    move = st["history"][-1]
    assert st["aliases"]["production"] == v2["version"]
    assert (move["action"], move["override"], move["reason"], move["who"]) == ("promote", True, "hotfix: the old model mislabels a region", ctx["user"])
    code, card = await fetch(jp_fetch, "readiness")
    assert card["subject"]["model"]["production"] == v2["version"]            # the scorecard was refreshed

    code, reply = await fetch(jp_fetch, "registry/rollback", {"confirm": True})
    assert code == 200 and read_state(reg)["aliases"]["production"] == v1["version"], reply
    assert read_state(reg)["history"][-1]["who"] == ctx["user"]
    code, reply = await fetch(jp_fetch, "registry/rollback", {"confirm": True})
    assert code == 409 and "nothing to roll back to" in reply["message"]
    code, reply = await fetch(jp_fetch, "registry/promote", {"version": "v9999", "confirm": True, "override_reason": "x"})
    assert code == 400 and "unknown model version" in reply["message"]
    code, card = await fetch(jp_fetch, "readiness/attest", {"item": "D5", "comment": "deletion process documented"})
    assert code == 200


# --- drift: the monitoring job in the background ---------------------------------------------------------------

def simulate(project, start):
    r = subprocess.run([sys.executable, "-m", "nbs_lib.simulate", "--days", "1", "--start", start], cwd=project,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]


async def test_monitoring_runs_in_the_background_and_a_second_job_is_refused(jp_fetch, at_project):
    simulate(at_project, "2026-10-01")
    code, started = await fetch(jp_fetch, "drift/run", {"batch": "data/incoming"})
    assert code == 202, started
    assert started["job"]["argv"][1:] == ["-m", "nbs_lib.monitor", "run", "--trigger", "panel", "--incoming", "data/incoming"]
    code, again = await fetch(jp_fetch, "drift/run", {"batch": "data/incoming"})
    assert code == 409 and "already running" in again["message"]
    for _ in range(300):
        code, st = await fetch(jp_fetch, "drift")
        if st["job"] is None: break
        await asyncio.sleep(1)
    assert st["job"] is None and st["last_job"]["returncode"] == 0, st["last_job"]
    code, runs = await fetch(jp_fetch, "pipeline/runs")
    mon = next(r for r in runs["runs"] if r.get("kind") == "monitor")
    assert mon["trigger"] == "panel" and mon["status"] == "ok"
    assert not runs["running"]                                   # a monitoring run is not a pipeline run


async def test_a_single_batch_file_is_monitored(jp_fetch, at_project):
    from nbs_lib.simulate import simulate_batches
    path = simulate_batches(at_project/"data"/"incoming"/"one", days=1, start="2026-10-01", root=at_project)[0]
    batch = path.relative_to(at_project).as_posix()
    code, reply = await fetch(jp_fetch, "drift/run", {"batch": batch})
    assert code == 202 and reply["job"]["argv"][-2:] == ["--batch", batch]
    for _ in range(300):
        code, st = await fetch(jp_fetch, "drift")
        if st["job"] is None: break
        await asyncio.sleep(1)
    assert st["job"] is None and st["last_job"]["batch"] == batch