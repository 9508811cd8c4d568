"""Every /shipshape/ route through a real Jupyter server (jp_fetch), on a real built project.

The refusal tests (413, 400 naming the field, folder evidence, an option as a version, env by name only, wrong
types, a bug as 500) fail on the extension of commit 4827877: see README "Tests".
"""

import asyncio
import getpass
import hashlib
import json
import logging
import sys
import time
from pathlib import Path

import pytest
import yaml

GETS = ["context", "readiness", "readiness/answers", "pipeline", "pipeline/runs", "drift", "export", "registry/version"]
POSTS = [
    "readiness/attest",
    "readiness/intake",
    "pipeline/run",
    "pipeline/cancel",
    "drift/run",
    "export/run",
    "registry/promote",
    "registry/rollback",
]
EXT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(EXT / "scripts"))
from testproject import shipshape  # noqa: E402


async def fetch(jp_fetch, route, body=None, method=None, **kw):
    "(status, JSON body) of a request; errors are answers too."
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    r = await jp_fetch(
        "shipshape", route, method=method or ("POST" if body is not None else "GET"), body=body, raise_error=False, **kw
    )
    assert r.headers["Content-Type"].startswith("application/json"), (route, r.code, r.body[:300])
    return r.code, json.loads(r.body)


async def wait_for(jp_fetch, route, done, timeout=900):
    "Poll a GET route until `done(state)`; the last state."
    t0 = time.time()
    while time.time() - t0 < timeout:
        code, st = await fetch(jp_fetch, route)
        assert code == 200, st
        if done(st):
            return st
        await asyncio.sleep(1)
    raise AssertionError(f"{route} did not settle in {timeout} s: {st}")


def readiness_text(project: Path) -> str | None:
    p = project / "readiness.yaml"
    return p.read_text() if p.exists() else None


def jobs_started(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "products" / "uci-adult" / "jobs").glob("*.json"))


# --- authentication --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", GETS)
async def test_get_routes_need_a_token(jp_fetch, empty_project, route):
    code, body = await fetch(jp_fetch, route, headers={"Authorization": ""})
    assert code == 403 and body["message"]


@pytest.mark.parametrize("route", POSTS)
async def test_post_routes_need_a_token(jp_fetch, empty_project, route):
    code, body = await fetch(jp_fetch, route, {"confirm": True}, headers={"Authorization": ""})
    assert code == 403 and body["message"]


@pytest.mark.parametrize("route", POSTS)
async def test_a_large_anonymous_body_is_refused_by_authentication_first(jp_fetch, empty_project, route):
    code, body = await fetch(jp_fetch, route, {"pad": "x" * 300_000}, headers={"Authorization": ""})
    assert code == 403


def test_the_templates_auth_check_passes():
    import subprocess

    r = subprocess.run(
        [sys.executable, str(EXT / ".github" / "scripts" / "check_auth.py")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "All endpoints of the extension require authentication" in r.stdout


async def test_unknown_routes_answer_json_404(jp_fetch, empty_project):
    code, body = await fetch(jp_fetch, "nope")
    assert code == 404 and "no such Shipshape route" in body["message"]


# --- the server refuses what it should (#20 item 7) ------------------------------------------------------------
# Each body below makes the extension of 4827877 stop before it acts (or act harmlessly in the test's project).

BIG = "x" * 300_000
OVERSIZED = {
    "readiness/attest": {"item": "D3", "comment": BIG},
    "readiness/intake": {"answers": {"decision": BIG}},
    "pipeline/run": {"env": "../nope.yaml", "pad": BIG},
    "pipeline/cancel": {"run": "run-x", "pad": BIG},
    "drift/run": {"batch": "../nope.csv", "pad": BIG},
    "export/run": {"target": "pdf", "pad": BIG},
    "registry/promote": {"version": "v0001", "pad": BIG},
    "registry/rollback": {"pad": BIG},
}


@pytest.mark.parametrize("route", POSTS)
async def test_a_body_over_256_kb_is_refused_with_413_and_nothing_is_written(jp_fetch, empty_project, route):
    before = readiness_text(empty_project)
    code, reply = await fetch(jp_fetch, route, OVERSIZED[route])
    assert code == 413, reply
    assert "256 KB" in reply["message"] and reply["limit"] == 256 * 1024
    assert readiness_text(empty_project) == before and jobs_started(empty_project) == []


UNKNOWN_OR_BAD_FIELDS = [
    ("readiness/attest", {"item": "D3", "colour": "red"}, "colour"),
    ("readiness/attest", {"item": "D3", "status": "maybe"}, "status"),
    ("readiness/attest", {"item": "X9"}, "item"),
    ("readiness/intake", {"answers": {"decision": "who gets a review"}, "colour": 1}, "colour"),
    ("readiness/intake", {"answers": {"colour": "red"}}, "answers.colour"),
    ("pipeline/run", {"env": "../nope.yaml", "colour": 1}, "colour"),
    ("pipeline/cancel", {}, "run"),
    ("drift/run", {}, "batch"),
    ("export/run", {"target": "pdf", "colour": 1}, "colour"),
    ("registry/promote", {"version": "v0001", "confirm": True, "colour": 1}, "colour"),
    ("registry/promote", {"version": "v0001"}, "confirm"),
    ("registry/rollback", {"confirm": True, "colour": 1}, "colour"),
]


@pytest.mark.parametrize("route, body, field", UNKNOWN_OR_BAD_FIELDS)
async def test_bodies_are_checked_against_their_schema_and_the_field_is_named(
    jp_fetch, empty_project, route, body, field
):
    before = readiness_text(empty_project)
    code, reply = await fetch(jp_fetch, route, body)
    assert code == 400, reply
    assert reply["field"] == field and reply["message"].startswith(f"{field}: ")
    assert readiness_text(empty_project) == before and jobs_started(empty_project) == []


WRONG_TYPES = [
    ("readiness/attest", {"item": "D3", "status": 5}, "status"),
    ("readiness/intake", {"answers": {"decision": 5}}, "answers.decision"),
    ("pipeline/run", {"force": "yes", "env": "../nope.yaml"}, "force"),
    ("pipeline/cancel", {"run": 5}, "run"),
    ("drift/run", {"batch": 5}, "batch"),
    ("export/run", {"target": ["onnx-fp32"]}, "target"),
    ("registry/promote", {"version": "v0002", "confirm": True, "override_reason": 5}, "override_reason"),
    ("registry/rollback", {"confirm": True, "reason": 5}, "reason"),
]


@pytest.mark.parametrize("route, body, field", WRONG_TYPES)
async def test_wrong_types_are_400_naming_the_field_not_500(jp_fetch, empty_project, route, body, field):
    before = readiness_text(empty_project)
    code, reply = await fetch(jp_fetch, route, body)
    assert code == 400, reply
    assert reply["field"] == field and "Input should be" in reply["message"]
    assert readiness_text(empty_project) == before and jobs_started(empty_project) == []


@pytest.mark.parametrize(
    "evidence, words",
    [("docs", "is a folder"), ("docs/none.md", "does not exist"), ("/etc/passwd", "is absolute")],
)
async def test_evidence_that_is_not_a_regular_file_of_the_project_is_refused_and_nothing_is_saved(
    jp_fetch, empty_project, evidence, words
):
    (empty_project / "docs").mkdir()
    (empty_project / "docs" / "review.md").write_text("feature costs reviewed\n")
    before = readiness_text(empty_project)
    code, reply = await fetch(jp_fetch, "readiness/attest", {"item": "D6", "evidence": ["docs/review.md", evidence]})
    assert code == 400, reply
    assert reply["field"] == "evidence[1]" and words in reply["message"]
    assert readiness_text(empty_project) == before


@pytest.mark.parametrize("route", ["registry/promote", "export/run"])
async def test_a_version_that_looks_like_an_option_is_refused(jp_fetch, empty_project, route):
    body = {"version": "-h", "target": "onnx-fp32"} if route == "export/run" else {"version": "-h", "confirm": True}
    code, reply = await fetch(jp_fetch, route, body)
    assert code == 400, reply
    assert reply["field"] == "version" and "is not a version id" in reply["message"]
    assert "usage:" not in reply["message"] and jobs_started(empty_project) == []


@pytest.mark.parametrize("env", ["x.yaml", "notebooks/x.yaml", "../env.yaml", "/etc/hostname", "env.test.yaml/"])
async def test_the_pipeline_run_takes_env_only_as_a_name_from_the_allow_list(jp_fetch, empty_project, env):
    for f in (empty_project / "x.yaml", empty_project / "notebooks" / "x.yaml"):
        f.write_text("dataset: {train: data/none.csv}\n")  # a file a user made: it must never configure a run
    code, reply = await fetch(jp_fetch, "pipeline/run", {"env": env})
    assert code == 400, reply
    assert (
        reply["field"] == "env"
        and reply["allowed"] == ["env.test.yaml"]
        and "allowed: env.test.yaml" in reply["message"]
    )
    assert jobs_started(empty_project) == []


async def test_a_bug_is_a_500_with_its_traceback_in_the_log(jp_fetch, empty_project, monkeypatch, caplog):
    from nbs_lib import app

    def broken(*args):
        raise KeyError("planted bug")

    monkeypatch.setattr(app, "context", broken)
    with caplog.at_level(logging.ERROR):
        code, reply = await fetch(jp_fetch, "context")
    assert code == 500 and "a bug" in reply["message"] and "planted bug" in reply["message"]
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)


# --- request validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", POSTS)
@pytest.mark.parametrize("body", ["{not json", "[1, 2]", "\xff"])
async def test_malformed_json_is_refused(jp_fetch, empty_project, route, body):
    code, reply = await fetch(jp_fetch, route, body.encode("latin-1"))
    assert code == 400, reply
    assert "JSON" in reply["message"] and "Traceback" not in reply["message"]


@pytest.mark.parametrize("batch", ["../outside.csv", "data/../../outside.csv", "/etc/passwd", ".."])
async def test_batch_paths_must_stay_in_the_project(jp_fetch, empty_project, batch):
    (empty_project.parent / "outside.csv").write_text("age\n1\n")
    code, reply = await fetch(jp_fetch, "drift/run", {"batch": batch})
    assert code == 400, reply
    assert reply["field"] == "batch"


async def test_links_out_of_the_project_are_refused(jp_fetch, empty_project):
    (empty_project.parent / "secret").mkdir()
    (empty_project.parent / "secret" / "b.csv").write_text("age\n1\n")
    (empty_project / "data" / "link").symlink_to(empty_project.parent / "secret")
    code, reply = await fetch(jp_fetch, "drift/run", {"batch": "data/link/b.csv"})
    assert code == 400 and "outside the project root" in reply["message"]


async def test_a_batch_file_outside_the_inbox_is_refused(jp_fetch, empty_project):
    code, reply = await fetch(jp_fetch, "drift/run", {"batch": "env.yaml"})
    assert code == 400 and "is not in the incoming folder data/incoming" in reply["message"]
    assert jobs_started(empty_project) == []


async def test_missing_batch_file_is_404(jp_fetch, empty_project):
    code, reply = await fetch(jp_fetch, "drift/run", {"batch": "data/incoming/none.csv"})
    assert code == 404 and "does not exist" in reply["message"]


# --- an unbuilt project says plainly what is missing -----------------------------------------------------------


async def test_context_locates_the_project(jp_fetch, empty_project):
    code, ctx = await fetch(jp_fetch, "context")
    assert code == 200 and Path(ctx["root"]) == empty_project.resolve()
    assert Path(ctx["products"]) == empty_project.resolve() / "products" / "uci-adult"
    assert ctx["env_files"] == ["env.test.yaml"] and ctx["user"]


async def test_no_scorecard_yet_is_a_404_saying_how_to_make_one(jp_fetch, empty_project):
    code, reply = await fetch(jp_fetch, "readiness")
    assert code == 404 and "no readiness scorecard exists yet" in reply["message"] and "make run" in reply["message"]


async def test_drift_of_an_unbuilt_project_lists_the_batches(jp_fetch, empty_project):
    (empty_project / "data" / "incoming").mkdir(parents=True)
    (empty_project / "data" / "incoming" / "b1.csv").write_text("age\n1\n")
    code, st = await fetch(jp_fetch, "drift")
    assert code == 200 and st["report"] is None and st["status"] is None and "No monitoring report yet" in st["message"]
    assert st["batches"] == ["data/incoming", "data/incoming/b1.csv"] and st["job"] is None


async def test_pipeline_of_an_unbuilt_project(jp_fetch, empty_project):
    code, st = await fetch(jp_fetch, "pipeline")
    assert code == 200 and st["runs"] == [] and not st["running"] and st["status_error"] is None
    assert st["tasks"] and all(t["outdated"] and t["why"] == ["never built"] for t in st["tasks"])


async def test_server_outside_any_project_says_so(jp_fetch, monkeypatch):
    monkeypatch.delenv("SHIPSHAPE_ROOT", raising=False)
    code, reply = await fetch(jp_fetch, "context")
    assert code == 404 and "no Shipshape project" in reply["message"]


async def test_a_broken_configuration_is_named_not_a_500(jp_fetch, empty_project):
    env = (empty_project / "env.yaml").read_text()
    (empty_project / "env.yaml").write_text(env.replace("train:\n", "trian:\n", 1))
    code, reply = await fetch(jp_fetch, "pipeline")
    assert code == 409 and "trian" in reply["message"] and "env.yaml" in reply["message"]


# --- a built project: the pipeline ------------------------------------------------------------------------------


def pipeline_tasks(project):
    return [t["name"] for t in yaml.safe_load((project / "pipeline.yaml").read_text())["tasks"]]


async def test_pipeline_lists_tasks_and_runs(jp_fetch, at_project):
    code, st = await fetch(jp_fetch, "pipeline")
    assert code == 200
    assert sorted(t["name"] for t in st["tasks"]) == sorted(pipeline_tasks(at_project))
    assert not any(t["outdated"] for t in st["tasks"])
    first = st["runs"][-1]
    assert (first["status"], first["outcome"], first["trigger"], first["kind"]) == ("ok", "ok", "make run", "pipeline")
    assert first["summary"].startswith("OK: ran 9 task(s)")
    assert all(Path(t["notebook"]).exists() for t in first["tasks"])


async def test_the_cached_task_status_follows_every_file_it_depends_on(jp_fetch, at_project):
    "A cached 'up to date' is never stale: a task notebook's source, a product, its restore."

    async def outdated():
        code, st = await fetch(jp_fetch, "pipeline")
        assert code == 200 and st["status_error"] is None, st
        return {t["name"]: t["why"] for t in st["tasks"] if t["outdated"]}

    assert await outdated() == {}
    nb = at_project / "notebooks" / "_pipeline" / "report.ipynb"
    source = nb.read_text()
    doc = json.loads(source)
    doc["cells"].append(
        {"cell_type": "code", "metadata": {}, "source": "print('changed')", "outputs": [], "execution_count": None}
    )
    nb.write_text(json.dumps(doc))
    assert await outdated() == {"report": ["code or parameters changed"]}
    nb.write_text(source)
    assert await outdated() == {}
    wandb = at_project / "products" / "uci-adult" / "07_report" / "wandb.json"
    kept = wandb.read_bytes()
    wandb.unlink()
    assert "report" in await outdated()
    wandb.write_bytes(kept)


async def test_a_make_run_holding_the_pipeline_lock_blocks_the_panel(jp_fetch, at_project):
    from nbs_lib.config import file_lock

    with file_lock(at_project / "products" / "uci-adult" / ".pipeline.lock", "pipeline build run-held (make run)"):
        code, reply = await fetch(jp_fetch, "pipeline/run", {})
        assert code == 409 and "already in progress" in reply["message"] and "run-held (make run)" in reply["message"]
        code, st = await fetch(jp_fetch, "pipeline/runs")
        assert st["running"] is True and st["holder"]["what"] == "pipeline build run-held (make run)"
    code, st = await fetch(jp_fetch, "pipeline/runs")
    assert st["running"] is False and st["holder"] is None
    assert not (at_project / "products" / "uci-adult" / "jobs" / "pipeline.json").exists()


async def test_a_run_from_the_panel_with_a_named_env_runs_to_completion_and_a_second_is_refused(jp_fetch, at_project):
    products = at_project / "products" / "uci-adult"
    (at_project / "env.panel.yaml").write_text("train:\n  mlp: {epochs: 3}\n")  # the test env's own value
    (products / "07_report" / "wandb.json").unlink()  # the report task is now outdated
    code, st = await fetch(jp_fetch, "pipeline")
    assert [t["name"] for t in st["tasks"] if t["outdated"]] == ["report"]

    code, started = await fetch(jp_fetch, "pipeline/run", {"env": "env.panel.yaml"})
    assert code == 202, started
    job = started["job"]
    assert Path(job["argv"][0]).name == "shipshape"
    assert job["argv"][1:] == ["run", "--trigger", "panel", "--env=env.panel.yaml"]
    code, again = await fetch(jp_fetch, "pipeline/run", {})
    assert code == 409 and "already in progress" in again["message"]

    st = await wait_for(jp_fetch, "pipeline/runs", lambda s: not s["running"])
    run = next(r for r in st["runs"] if r["id"] == job["id"])
    assert (run["status"], run["trigger"]) == ("ok", "panel"), run.get("error")
    assert {t["name"] for t in run["tasks"] if t["ran"]} == {"report"}
    assert Path(run["log"]) == products / "runs" / f"{run['id']}.log" and Path(run["log"]).stat().st_size > 0
    assert (st["last_job"]["returncode"], st["last_job"]["outcome"], st["last_job"]["log_tail"]) == (0, "ok", None)
    code, st = await fetch(jp_fetch, "pipeline")
    assert not any(t["outdated"] for t in st["tasks"])
    (at_project / "env.panel.yaml").unlink()


async def test_cancel_stops_the_live_run_it_names_and_the_record_says_who(jp_fetch, at_project):
    products = at_project / "products" / "uci-adult"
    code, reply = await fetch(jp_fetch, "pipeline/cancel", {"run": "run-none"})
    assert code == 409 and reply["message"] == "run: run-none is not running (no pipeline run is in progress)"
    (products / "readiness" / "importance.json").unlink()  # readiness (the longest task after train) and report rerun
    code, started = await fetch(jp_fetch, "pipeline/run", {})
    assert code == 202, started
    run_id = started["job"]["id"]
    await wait_for(jp_fetch, "pipeline/runs", lambda s: (s["live"] or {}).get("current") == "readiness")
    code, reply = await fetch(jp_fetch, "pipeline/cancel", {"run": "run-other"})
    assert code == 409 and f"the run in progress is {run_id}" in reply["message"]
    code, reply = await fetch(jp_fetch, "pipeline/cancel", {"run": run_id})
    assert code == 200, reply
    run = reply["run"]
    assert (run["status"], run["killed"], run["cancelled"]["by"]) == ("failed", True, getpass.getuser())
    assert run["error"]["task"] == "readiness"
    assert run["error"]["message"].startswith(f"cancelled by {getpass.getuser()} at ")
    st = await wait_for(jp_fetch, "pipeline/runs", lambda s: not s["running"])
    assert st["last_job"]["outcome"] == "failed" and st["live"] is None
    assert not list(products.glob("runs/*.cancel"))
    code, again = await fetch(jp_fetch, "pipeline/run", {})  # nothing is left holding the pipeline
    assert code == 202, again
    st = await wait_for(jp_fetch, "pipeline/runs", lambda s: not s["running"])
    rerun = next(r for r in st["runs"] if r["id"] == again["job"]["id"])
    assert rerun["status"] == "ok" and {t["name"] for t in rerun["tasks"] if t["ran"]} == {"readiness", "report"}
    assert (products / "readiness" / "importance.json").exists()


# --- a built project: readiness --------------------------------------------------------------------------------


def readiness_yaml(project):
    return yaml.safe_load((project / "readiness.yaml").read_text())


async def test_readiness_returns_the_scorecard(jp_fetch, at_project):
    from nbs_lib.scorecard import load_scorecard

    code, card = await fetch(jp_fetch, "readiness")
    assert code == 200
    assert card == json.loads(json.dumps(load_scorecard(at_project / "products" / "uci-adult")))
    assert card["scores"]["gate"]["decision"] in {"go", "no-go", "needs-review"}


async def test_answers_list_the_questions_and_the_file(jp_fetch, at_project):
    code, a = await fetch(jp_fetch, "readiness/answers")
    assert code == 200
    assert "D3" in a["manual_items"] and "decision" in a["questions"] and "owner" in a["business_metric"]
    assert set(a["answers"]) >= {"intake", "business_metric", "manual_items", "sign_offs"}


async def test_attesting_a_manual_item_writes_readiness_yaml_and_refreshes_the_scorecard(jp_fetch, at_project):
    code, ctx = await fetch(jp_fetch, "context")
    body = {
        "item": "D6",
        "comment": "a feature takes a day to add",
        "evidence": ["env.yaml", "https://wiki.example/d6"],
    }
    code, reply = await fetch(jp_fetch, "readiness/attest", body)
    assert code == 200, reply
    d6 = readiness_yaml(at_project)["manual_items"]["D6"]
    assert (d6["status"], d6["who"], d6["comment"]) == ("done", ctx["user"], "a feature takes a day to add")
    assert d6["evidence"] == ["env.yaml", "https://wiki.example/d6"]
    card = reply["scorecard"]
    item = next(i for i in card["items"] if i["id"] == "D6")
    assert item["status"] == "pass" and item["attestation"]["who"] == ctx["user"] and reply["refresh_error"] is None
    stored = json.loads((at_project / "products" / "uci-adult" / "readiness" / "scorecard.json").read_text())
    assert stored["generated_at"] == card["generated_at"]


async def test_intake_answers_are_saved_with_who_and_when(jp_fetch, at_project):
    code, ctx = await fetch(jp_fetch, "context")
    body = {
        "answers": {"decision": "which applications get a manual review"},
        "business_metric": {"owner": "risk team"},
    }
    code, reply = await fetch(jp_fetch, "readiness/intake", body)
    assert code == 200, reply
    doc = readiness_yaml(at_project)
    assert doc["intake"]["answers"]["decision"] == "which applications get a manual review"
    assert (
        doc["intake"]["who"] == ctx["user"] and doc["intake"]["when"] and doc["business_metric"]["owner"] == "risk team"
    )
    assert reply["scorecard"]["generated_at"] and reply["refresh_error"] is None


# --- a built project: export, promotion, rollback ---------------------------------------------------------------


async def test_export_view_reads_targets_by_name(jp_fetch, at_project):
    import torch

    code, ex = await fetch(jp_fetch, "export")
    assert code == 200, ex
    trt = ex["availability"]["tensorrt-fp16"]
    if not torch.cuda.is_available():
        assert trt["available"] is False and "GPU" in trt["reason"]
    assert ex["export"]["targets"]["onnx-fp32"]["status"] == "ok" and ex["on_demand"] == {}
    assert ex["gate"]["decision"] in {"go", "no-go", "needs-review", "unavailable"}
    assert [v["version"] for v in ex["registry"]["versions"]] == ["v0001"] and ex["errors"] == []


async def test_unavailable_or_unknown_export_targets_are_refused(jp_fetch, at_project):
    import torch

    code, reply = await fetch(jp_fetch, "export/run", {"target": "pdf"})
    assert code == 400 and "unknown export target" in reply["message"]
    code, reply = await fetch(jp_fetch, "export/run", {"target": "onnx-fp32", "version": "v0042"})
    assert code == 404 and "unknown model version 'v0042'" in reply["message"]
    if not torch.cuda.is_available():
        code, reply = await fetch(jp_fetch, "export/run", {"target": "tensorrt-fp16"})
        assert code == 409 and "GPU" in reply["message"]
    assert not (at_project / "products" / "uci-adult" / "jobs" / "export.json").exists()


async def test_an_on_demand_export_writes_beside_the_pipelines_proof_which_stays_intact(jp_fetch, at_project):
    proof = at_project / "products" / "uci-adult" / "06_export" / "export.json"
    digest = hashlib.sha256(proof.read_bytes()).hexdigest()
    code, started = await fetch(jp_fetch, "export/run", {"target": "onnx-fp32", "version": "v0001"})
    assert code == 202, started
    assert started["job"]["argv"][1:] == ["export", "--target=onnx-fp32", "--version=v0001"]
    st = await wait_for(jp_fetch, "export", lambda s: s["job"] is None)
    assert st["last_job"]["outcome"] == "ok", st["last_job"]
    assert st["on_demand"]["v0001"]["targets"]["onnx-fp32"]["status"] == "ok"
    assert hashlib.sha256(proof.read_bytes()).hexdigest() == digest  # the pipeline's proof is untouched
    code, p = await fetch(jp_fetch, "pipeline")
    assert not any(t["outdated"] for t in p["tasks"])  # and the pipeline stays up to date (#20 failure 8)


async def test_a_versions_page_has_its_record_files_export_proof_audit_and_readiness_at_registration(
    jp_fetch, at_project
):
    code, page = await fetch(jp_fetch, "registry/version", params={"version": "v0001"})
    assert code == 200, page
    assert page["version"] == "v0001" and page["record"]["metrics"]["roc_auc"] > 0.5 and page["errors"] == []
    files = {f["name"]: f for f in page["files"]}
    onnx = Path(files["onnx"]["path"])
    assert files["onnx"]["size_bytes"] == onnx.stat().st_size and files["onnx"]["binary"] is True
    assert files["onnx"]["sha256"] == hashlib.sha256(onnx.read_bytes()).hexdigest() and files["onnx"]["intact"]
    assert files["metrics"]["binary"] is False
    assert page["export"]["registered"]["targets"]["onnx-fp32"]["parity"]["max_abs_diff"] < 1e-3
    assert [h["action"] for h in page["history"]][:2] == ["register", "promote"]
    snap = page["readiness"]  # the test build's scorecard is no-go: its blocking items, kept when v0001 was judged
    assert (snap["status"], snap["version"], snap["decision"]) == ("recorded", "v0001", "no-go"), snap
    assert snap["blocking"] and all(b["id"] and b["title"] for b in snap["blocking"])
    code, card = await fetch(jp_fetch, "readiness")
    assert snap["scorecard"]["generated_at"] <= card["generated_at"] and len(snap["scorecard"]["sha256"]) == 64


@pytest.mark.parametrize(
    "params, code, words",
    [
        ({}, 400, "version None is not a version id"),
        ({"version": "-h"}, 400, "version '-h' is not a version id"),
        ({"version": "v0042"}, 404, "unknown model version 'v0042'"),
    ],
)
async def test_a_bad_or_unknown_version_page_is_refused_naming_the_field(jp_fetch, at_project, params, code, words):
    got, reply = await fetch(jp_fetch, "registry/version", params=params)
    assert (got, reply["field"]) == (code, "version") and words in reply["message"]


@pytest.mark.parametrize("route", ["registry/promote", "registry/rollback"])
async def test_registry_moves_need_confirmation(jp_fetch, at_project, route):
    code, reply = await fetch(jp_fetch, route, {"version": "v0001"} if route.endswith("promote") else {})
    assert code == 400 and reply["field"] == "confirm"


async def test_promotion_is_gated_by_evidence_and_an_override_is_recorded(jp_fetch, at_project):
    from nbs_lib.config import load_env, registry_dir
    from nbs_lib.registry import read_state, register
    from nbs_lib.release import qualify

    reg = registry_dir(load_env(root=at_project), at_project)
    v1 = read_state(reg)["versions"][0]
    files = {k: reg / p for k, p in v1["files"].items()}
    v2 = register(reg, files, {"metrics": v1["metrics"], "note": "a copy of v0001"}, who="pytest")
    code, reply = await fetch(jp_fetch, "registry/promote", {"version": v2["version"], "confirm": True})
    assert code == 409 and "not promotable" in reply["message"]  # no canary and drill recorded yet
    qualify(v2["version"], reg=reg, policy={})
    code, ctx = await fetch(jp_fetch, "context")
    # a failed manual check makes the gate no-go
    code, reply = await fetch(
        jp_fetch, "readiness/attest", {"item": "D5", "status": "failed", "comment": "no deletion process"}
    )
    assert reply["scorecard"]["scores"]["gate"]["decision"] == "no-go"
    code, reply = await fetch(jp_fetch, "registry/promote", {"version": v2["version"], "confirm": True})
    assert code == 409 and "no-go" in reply["message"]
    assert "D5" in [b["id"] for b in reply["gate"]["blocking"] if b["blocking"]]
    assert read_state(reg)["aliases"]["production"] == v1["version"]

    why = "hotfix: the old model mislabels a region"
    code, reply = await fetch(
        jp_fetch, "registry/promote", {"version": v2["version"], "confirm": True, "override_reason": why}
    )
    assert code == 200, reply
    st = read_state(reg)
    move = st["history"][-1]
    assert st["aliases"]["production"] == v2["version"]
    assert (move["action"], move["override"], move["reason"], move["who"]) == ("promote", True, why, ctx["user"])
    assert reply["record"]["scorecard"]["refreshed"] is True
    code, card = await fetch(jp_fetch, "readiness")
    assert card["subject"]["model"]["production"] == v2["version"]  # the scorecard was refreshed
    code, reply = await fetch(
        jp_fetch, "registry/promote", {"version": v2["version"], "confirm": True, "override_reason": why}
    )
    assert code == 409 and "already in production" in reply["message"]

    code, reply = await fetch(jp_fetch, "registry/rollback", {"confirm": True})
    assert code == 200 and read_state(reg)["aliases"]["production"] == v1["version"], reply
    assert read_state(reg)["history"][-1]["who"] == ctx["user"]
    code, reply = await fetch(jp_fetch, "registry/rollback", {"confirm": True})
    assert code == 409 and "nothing to roll back to" in reply["message"]
    code, reply = await fetch(
        jp_fetch, "registry/promote", {"version": "v9999", "confirm": True, "override_reason": "x"}
    )
    assert code == 404 and "unknown model version" in reply["message"]
    code, reply = await fetch(jp_fetch, "readiness/attest", {"item": "D5", "comment": "deletion process documented"})
    assert code == 200


# --- a built project: monitoring in the background; an alert is an alert --------------------------------------


def simulate(project, *args):
    shipshape(project, "simulate", "--days", "1", *args, timeout=300)
    for f in (project / "data" / "incoming").glob("*.csv"):
        f.with_name(f.name + ".ready").touch()  # complete: taken at once


async def test_monitoring_runs_in_the_background_and_a_second_job_is_refused(jp_fetch, at_project):
    simulate(at_project, "--start", "2026-10-01")
    code, started = await fetch(jp_fetch, "drift/run", {"batch": "data/incoming"})
    assert code == 202, started
    assert started["job"]["argv"][1:] == ["monitor", "--trigger", "panel", "--incoming=data/incoming"]
    code, again = await fetch(jp_fetch, "drift/run", {"batch": "data/incoming"})
    assert code == 409 and "already running" in again["message"]
    st = await wait_for(jp_fetch, "drift", lambda s: s["job"] is None)
    last = st["last_job"]
    assert (last["returncode"], last["outcome"], last["log_tail"]) == (0, "ok", None), last
    run = st["runs"][0]
    assert (run["id"], run["trigger"], run["outcome"]) == (last["run_id"], "panel", "ok")
    assert Path(last["log"]) == at_project / "products" / "uci-adult" / "runs" / f"{run['id']}.log" == Path(run["log"])
    code, runs = await fetch(jp_fetch, "pipeline/runs")
    assert not runs["running"]  # a monitoring run is not a pipeline run


async def test_a_drift_alert_is_an_alert_not_a_failure_and_it_stands_until_replaced(jp_fetch, at_project):
    simulate(at_project, "--start", "2026-09-01", "--drift-from", "0")
    code, started = await fetch(jp_fetch, "drift/run", {"batch": "data/incoming"})
    assert code == 202, started
    st = await wait_for(jp_fetch, "drift", lambda s: s["job"] is None)
    last = st["last_job"]
    assert (last["returncode"], last["outcome"], last["log_tail"]) == (1, "alert", None), last
    assert last["summary"].startswith("ALERT: ") and "data drift in" in last["summary"]
    assert st["status"]["outcome"] == "alert" and st["report"]["alert"]["fired"] is True
    assert st["report"]["alert"]["drifted_columns"] and st["report"]["checked_at"]
    run = st["runs"][0]
    assert (run["status"], run["outcome"]) == ("alert", "alert") and run["summary"].startswith("ALERT: ")

    code, started = await fetch(jp_fetch, "drift/run", {"batch": "data/incoming"})  # nothing new
    st = await wait_for(jp_fetch, "drift", lambda s: s["job"] is None)
    assert st["last_job"]["outcome"] == "alert" and "nothing new" in st["last_job"]["summary"]
    assert st["status"]["outcome"] == "alert" and st["report"]["alert"]["fired"] is True  # still standing


async def test_a_single_batch_file_is_monitored(jp_fetch, at_project):
    shipshape(
        at_project, "simulate", "--days", "1", "--start", "2026-10-05", "--seed", "7", "--out", "data/incoming/one"
    )
    path = next((at_project / "data" / "incoming" / "one").glob("*.csv"))
    path.with_name(path.name + ".ready").touch()
    batch = path.relative_to(at_project).as_posix()
    code, reply = await fetch(jp_fetch, "drift/run", {"batch": batch})
    assert code == 202 and reply["job"]["argv"][-1] == f"--batch={batch}"
    st = await wait_for(jp_fetch, "drift", lambda s: s["job"] is None)
    assert st["last_job"]["batch"] == batch and st["last_job"]["outcome"] in ("ok", "alert")
    assert st["report"]["batch"] == path.name
