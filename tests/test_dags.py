"""Airflow 3 (#16): `nbs_lib.dags` exports a training DAG and a monitoring DAG from pipeline.yaml + env.yaml.

- The exporter on copies of pipeline.yaml: task names with odd characters, a task with no upstream, a task added
  (and the runner refusing a DAG exported from the old task graph).
- The DAG files import with no import_errors, for the local and the kubernetes operator (the cncf provider is
  installed; no pod ever runs here).
- `airflow dags test` builds the test pipeline end to end on SQLite (no scheduler, no webserver): the same products
  and metrics as the session's local build (|Δmetric| ≤ 1e-6), the same run record, lineage and reports, trigger
  "airflow: <run id>"; a second run skips every task.
- The monitoring DAG on a planted-drift batch: its `alert` task runs (not a failure), the ledger has the entry.

Airflow comes from the `airflow` extra (`make test` installs it). Each Airflow command runs in a subprocess with its
own AIRFLOW_HOME (SQLite) under the test's temporary folder."""

import ast
import functools
import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, env_for

pytestmark = pytest.mark.airflow
BIN = Path(sys.executable).parent
SHIPSHAPE = str(BIN / "shipshape")


@pytest.fixture(autouse=True, scope="module")
def _airflow_installed():
    "A clear failure (not a skip) when the extra is missing: these tests are part of `make test`."
    if importlib.util.find_spec("airflow") is None:
        pytest.fail(
            "Airflow is not installed: install the airflow extra (`make test` does: pip install -c requirements.lock "
            "-c requirements-airflow.lock -e '.[airflow]')",
            pytrace=False,
        )


def _airflow_env(home: Path) -> dict:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }


def _config(dag_file: Path) -> dict:
    "The SHIPSHAPE settings literal of an exported DAG file."
    return ast.literal_eval(dag_file.read_text().split("SHIPSHAPE = ", 1)[1].split("\n\n\n", 1)[0])


LOAD = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
out = {}
for folder in sys.argv[1:]:
    bag = DagBag(dag_folder=folder)
    out[folder] = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {
        d.dag_id: {"schedule": str(d.schedule), "tasks": {t.task_id: {"upstream": sorted(t.upstream_task_ids), "op": type(t).__name__,
                   "image": getattr(t, "image", None), "namespace": getattr(t, "namespace", None),
                   "claims": [v.persistent_volume_claim.claim_name for v in getattr(t, "volumes", None) or []],
                   "retries": t.retries, "timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None}
                   for t in d.tasks}} for d in bag.dags.values()}}
print(json.dumps(out))
"""


def _load(*folders) -> dict:
    "Airflow's DagBag of each folder: import errors, DAGs, their tasks with upstream ids and operator (one subprocess)."
    home = Path(folders[0]).parent / "airflow-load"
    r = subprocess.run(
        [sys.executable, "-c", LOAD, *map(str, folders)],
        capture_output=True,
        text=True,
        timeout=600,
        env=_airflow_env(home),
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the exporter, on copies of pipeline.yaml
EXTRA_NB = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "p",
            "metadata": {"tags": ["parameters"]},
            "outputs": [],
            "source": "upstream = None\nproduct = None",
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "w",
            "metadata": {},
            "outputs": [],
            "source": "open(product['data'], 'w').write('done')",  # replaced by a task's `code`
        },
    ],
    "metadata": {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def _copy_project(tmp: Path, extra_tasks: list[dict] = ()) -> Path:
    "A project folder: this project's env, contracts, task notebooks and data, and a copy of pipeline.yaml with `extra_tasks`."
    root = tmp / "project"
    for f in ("env.yaml", "env.test.yaml"):
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / f, root / f)
    for d in ("contracts", "notebooks/_pipeline", "data/raw"):
        shutil.copytree(ROOT / d, root / d)
    shutil.copy(
        ROOT / "notebooks/11_features.ipynb", root / "notebooks/11_features.ipynb"
    )  # readiness.feature_tests names it
    spec = yaml.safe_load((ROOT / "pipeline.yaml").read_text())
    for t in extra_tasks:
        nb = json.loads(json.dumps(EXTRA_NB))
        nb["cells"][1]["source"] = t.get("code", nb["cells"][1]["source"])
        (root / "notebooks/_pipeline" / t["file"]).write_text(json.dumps(nb))
        spec["tasks"].append(
            {
                "source": f"notebooks/_pipeline/{t['file']}",
                "name": t["name"],
                "upstream": t["upstream"],
                "product": {
                    "nb": f"{{{{products_dir}}}}/reports/{t['file']}",
                    "data": f"{{{{products_dir}}}}/extra/{t['file']}.txt",
                },
            }
        )
    (root / "pipeline.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    "DAGs exported from a copy of pipeline.yaml, then from the copy with two tasks added; and the project's own, both operators."
    from nbs_lib.dags import export

    tmp = tmp_path_factory.mktemp("export")
    root = _copy_project(tmp)
    before = export("airflow", tmp / "before", "env.test.yaml", root=root)
    _copy_project(
        tmp / "changed",
        [
            {"file": "odd.ipynb", "name": "score report (v2)/é", "upstream": ["evaluate"]},
            {"file": "audit.ipynb", "name": "data audit", "upstream": []},
        ],
    )
    after = export("airflow", tmp / "after", "env.test.yaml", root=tmp / "changed" / "project")
    k8s = export(
        "airflow",
        tmp / "k8s",
        {
            "airflow": {
                "shared": "shared",
                "volume_claim": "shipshape-data",
                "image": "registry.example/shipshape:1",
                "namespace": "ml",
                "retries": 3,
            }
        },
        operator="kubernetes",
        root=ROOT,
    )
    argo = export(
        "argo", tmp / "argo", {"airflow": {"shared": "shared", "volume_claim": "shipshape-data"}}, "kubernetes", ROOT
    )
    return {
        "argo": argo,
        "tmp": tmp,
        "root": root,
        "changed": tmp / "changed" / "project",
        "before": before,
        "after": after,
        "k8s": k8s,
        "bags": _load(tmp / "before", tmp / "after", tmp / "k8s"),
    }


def test_odd_task_names_become_valid_airflow_ids_with_their_upstream(exported):
    bag = exported["bags"][str(exported["tmp"] / "after")]
    assert bag["errors"] == {}
    tasks = bag["dags"]["shipshape_pipeline"]["tasks"]
    assert tasks["score_report_v2"]["upstream"] == ["evaluate"]
    cfg = {t["task_id"]: t for t in _config(exported["after"][0])["tasks"]}
    assert cfg["score_report_v2"]["argv"][:2] == [
        "task",
        "score report (v2)/é",
    ]  # the runner gets the pipeline's own name


def test_a_task_with_no_upstream_is_a_root_of_the_dag(exported):
    tasks = exported["bags"][str(exported["tmp"] / "after")]["dags"]["shipshape_pipeline"]["tasks"]
    assert tasks["data_audit"]["upstream"] == [] and tasks["ingest"]["upstream"] == []
    assert tasks["validate"]["upstream"] == ["ingest"] and tasks["report"]["upstream"] == sorted(
        ["ingest", "validate", "features", "train", "evaluate", "export", "register", "readiness"]
    )


def test_a_task_added_to_pipeline_yaml_appears_and_the_old_dag_is_refused(exported):
    from nbs_lib.dags import run_task

    bags = exported["bags"]
    old = set(bags[str(exported["tmp"] / "before")]["dags"]["shipshape_pipeline"]["tasks"])
    new = set(bags[str(exported["tmp"] / "after")]["dags"]["shipshape_pipeline"]["tasks"])
    assert new - old == {"score_report_v2", "data_audit"}
    old_spec = _config(exported["before"][0])["tasks"][0]["argv"][7]
    with pytest.raises(ValueError, match=r"task graph changed since this DAG was exported .*export the DAGs again"):
        run_task("ingest", "manual__1", "env.test.yaml", exported["changed"], spec=old_spec)
    assert not (exported["changed"] / "products").exists()  # refused before touching anything


def test_both_dags_import_with_no_errors_locally(exported):
    bag = exported["bags"][str(exported["tmp"] / "before")]
    assert bag["errors"] == {} and set(bag["dags"]) == {"shipshape_pipeline", "shipshape_monitor"}
    pipe, mon = bag["dags"]["shipshape_pipeline"], bag["dags"]["shipshape_monitor"]
    assert {t["op"] for t in pipe["tasks"].values()} == {"BashOperator"}
    assert all(t["retries"] == 1 and t["timeout"] == 7200 for t in pipe["tasks"].values())  # airflow: defaults
    assert {k: v["upstream"] for k, v in mon["tasks"].items()} == {
        "monitor": [],
        "outcome": ["monitor"],
        "alert": ["outcome"],
        "all_clear": ["outcome"],
    }
    assert (mon["tasks"]["monitor"]["op"], mon["schedule"]) == ("BashOperator", "@hourly")


def test_the_kubernetes_dags_import_with_the_cncf_provider(exported):
    "Validated only: no cluster here, so no pod runs."
    bag = exported["bags"][str(exported["tmp"] / "k8s")]
    assert bag["errors"] == {}
    pipe = bag["dags"]["shipshape_pipeline"]["tasks"]
    assert {(t["op"], t["image"], t["namespace"], tuple(t["claims"]), t["retries"]) for t in pipe.values()} == {
        ("KubernetesPodOperator", "registry.example/shipshape:1", "ml", ("shipshape-data",), 3)
    }
    assert bag["dags"]["shipshape_monitor"]["tasks"]["monitor"]["op"] == "KubernetesPodOperator"
    cfg = _config(exported["k8s"][0])
    assert cfg["mount_path"] == "/app/shared" and cfg["env"]["SHIPSHAPE_ROOT"] == "/app"


def test_the_monitor_runner_maps_a_failed_job_to_exit_2_with_one_line(tmp_path):
    "Exit codes of `shipshape dag monitor`: a configuration the job refuses is `failed` (2), never an alert."
    bad = json.dumps({"monitoring": {"incoming": "/etc"}})
    r = subprocess.run(
        [SHIPSHAPE, "dag", "monitor", "--run-id", "manual__1", "--env-json", bad],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 2 and r.stderr.startswith("FAILED: SettingsError: ") and "monitoring.incoming" in r.stderr, (
        r.stderr
    )


def test_the_monitor_runner_exits_0_with_the_outcome_in_its_last_line_its_xcom_and_outcome_files(tmp_path):
    "ok (and alert, see the monitoring DAG below) exit 0: the orchestrator branches on the outcome, not on a crash."
    over = json.dumps(
        {
            "products": str(tmp_path / "products"),
            "monitoring": {"incoming": str(tmp_path / "inbox")},
            "registry": {"path": str(tmp_path / "registry")},
        }
    )
    r = subprocess.run(
        [
            SHIPSHAPE,
            "dag",
            "monitor",
            "--run-id",
            "manual__2",
            "--env-json",
            over,
            "--xcom",
            str(tmp_path / "xcom.json"),
            "--outcome",
            str(tmp_path / "outcome"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    last = json.loads(r.stdout.strip().splitlines()[-1])
    assert (last["outcome"], last["message"]) == ("ok", "nothing new")
    assert json.loads((tmp_path / "xcom.json").read_text()) == last and (tmp_path / "outcome").read_text() == "ok"
    rec = json.loads((tmp_path / "products" / "uci-adult" / "runs" / f"{last['run']}.json").read_text())
    assert rec["trigger"] == "airflow: manual__2"


# ---------------------------------------------------------------- end to end with `airflow dags test`
@functools.cache
def _migrated(home: Path) -> Path:
    r = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], capture_output=True, text=True, env=_airflow_env(home), timeout=600
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return home


def _dags_test(home: Path, dag_id: str, *args, env=None) -> tuple[subprocess.CompletedProcess, str, dict]:
    "Run `airflow dags test DAG_ID` (SQLite, no scheduler): the process, its run id, and each task's state from Airflow's DB."
    r = subprocess.run(
        [str(BIN / "airflow"), "dags", "test", dag_id, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_airflow_env(_migrated(home)) | (env or {}),
        timeout=1500,
    )
    with sqlite3.connect(home / "airflow.db") as db:
        ((run_id, state),) = db.execute(
            "select run_id, state from dag_run where dag_id = ? order by id desc limit 1", (dag_id,)
        )
        states = dict(
            db.execute("select task_id, state from task_instance where dag_id = ? and run_id = ?", (dag_id, run_id))
        )
    return r, run_id, states | {"<dag run>": state}


@pytest.fixture(scope="module")
def on_airflow(tmp_path_factory):
    "The test pipeline built by `airflow dags test` of the exported training DAG: products, registry, inbox under tmp."
    from nbs_lib.dags import export

    tmp = tmp_path_factory.mktemp("airflow")
    env = env_for(tmp, monitoring={"incoming": str(tmp / "incoming")})
    home = tmp / "home"
    export("airflow", home / "dags", env, root=ROOT)
    r, run_id, states = _dags_test(home, "shipshape_pipeline")
    return {
        "tmp": tmp,
        "home": home,
        "env": env,
        "products": tmp / "products" / "uci-adult",
        "proc": r,
        "run_id": run_id,
        "states": states,
    }


def _metrics(products: Path) -> dict:
    "Every number of the evaluation's quality metrics (candidates on validation and test, the chosen model on test)."
    m = json.loads((products / "05_evaluation/metrics.json").read_text())
    flat = {
        f"candidates.{c}.{s}.{k}": v
        for c, d in m["candidates"].items()
        for s in ("valid", "test")
        for k, v in d[s].items()
    }
    return flat | {f"test.{k}": v for k, v in m["test"].items()} | {"chosen": m["chosen"]}


@pytest.mark.timeout(2400)
def test_airflow_builds_the_test_pipeline_like_the_local_build(built, on_airflow):
    r, states = on_airflow["proc"], on_airflow["states"]
    assert r.returncode == 0 and set(states.values()) == {"success"}, (states, r.stdout[-3000:], r.stderr[-3000:])
    a, b = _metrics(on_airflow["products"]), _metrics(built["products"])
    assert a.keys() == b.keys() and a["chosen"] == b["chosen"]
    worst = max(abs(a[k] - b[k]) for k in a if k != "chosen")
    assert worst <= 1e-6, {k: (a[k], b[k]) for k in a if k != "chosen" and abs(a[k] - b[k]) > 1e-6}
    local = {t["name"]: t for t in built["record"]["tasks"]}
    for t in on_airflow_record(on_airflow)["tasks"]:  # the same products, each written
        rel = {k: Path(p).relative_to(on_airflow["products"]) for k, p in t["products"].items()}
        assert rel == {k: Path(p).relative_to(built["products"]) for k, p in local[t["name"]]["products"].items()}
        assert all((on_airflow["products"] / p).exists() for p in rel.values()), t["name"]


def on_airflow_record(on_airflow) -> dict:
    from nbs_lib.dags import record_id

    return json.loads(
        (on_airflow["products"] / "runs" / f"{record_id('airflow', on_airflow['run_id'])}.json").read_text()
    )


@pytest.mark.timeout(2400)
def test_the_airflow_run_has_the_run_record_lineage_and_reports_of_a_local_run(on_airflow):
    from nbs_lib.pipeline import list_runs
    from nbs_lib.products import validate_product

    rec = on_airflow_record(on_airflow)
    validate_product("run", rec)
    assert (rec["status"], rec["trigger"], rec["orchestrator"]["dag_id"]) == (
        "ok",
        f"airflow: {on_airflow['run_id']}",
        "shipshape_pipeline",
    )
    assert [(t["status"], t["ran"]) for t in rec["tasks"]] == [("executed", True)] * 9
    assert [r["id"] for r in list_runs(on_airflow["products"])][0] == rec["id"]  # the panel's history lists it
    p = on_airflow["products"]
    for t in rec["tasks"]:
        assert (
            (p / "lineage" / f"{t['name']}.json").exists()
            and Path(t["report"]).exists()
            and Path(t["notebook"]).exists()
        )
        assert f"executed notebook: file://{t['notebook']}" in on_airflow["proc"].stdout + on_airflow["proc"].stderr
    assert f"run {rec['id']}" in (p / "index.html").read_text()


@pytest.mark.timeout(2400)
def test_a_second_airflow_run_with_nothing_changed_skips_every_task(on_airflow):
    r, run_id, states = _dags_test(on_airflow["home"], "shipshape_pipeline")
    assert r.returncode == 0 and set(states.values()) == {"success"} and run_id != on_airflow["run_id"], states
    rec = on_airflow_record(on_airflow | {"run_id": run_id})
    assert rec["status"] == "ok" and {t["status"] for t in rec["tasks"]} == {"skipped"}


@pytest.mark.timeout(2400)
def test_the_monitoring_dag_shows_planted_drift_as_an_alert_not_a_failure(on_airflow):
    from nbs_lib.config import load_env
    from nbs_lib.features import load_spec
    from nbs_lib.monitor import batch_contract
    from nbs_lib.registry import load
    from nbs_lib.simulate import default_drift, simulate_batches

    env = load_env(on_airflow["env"], ROOT)
    inc = on_airflow["tmp"] / "incoming"
    model = load("production", on_airflow["tmp"] / "registry" / "uci-adult")
    contract = batch_contract(env, ROOT)[0]
    drift = default_drift(contract, [c["name"] for c in load_spec(model.dir / "transform.json")["columns"]])
    batch = simulate_batches(inc, days=8, drift=drift, drift_from=0, seed=11, env=env, root=ROOT, contract=contract)[0]
    for extra in sorted(inc.iterdir()):
        if extra != batch:
            extra.unlink()  # one drifted batch in the inbox
    batch.with_name(batch.name + ".ready").touch()
    r, run_id, states = _dags_test(on_airflow["home"], "shipshape_monitor")
    out = r.stdout + r.stderr
    assert r.returncode == 0 and states == {
        "monitor": "success",
        "outcome": "success",
        "alert": "success",
        "all_clear": "skipped",
        "<dag run>": "success",
    }, (states, out[-3000:])
    assert f"ALERT: {batch.name}: data drift in " in out
    (entry,) = [json.loads(line) for line in (on_airflow["products"] / "ledger.jsonl").read_text().splitlines()]
    assert entry["file"] == batch.name and entry["state"]["drift_checked"]["outcome"] == "alert"
    (rec,) = [json.loads(p.read_text()) for p in (on_airflow["products"] / "runs").glob("monitor-*.json")]
    assert (rec["trigger"], rec["outcome"]) == (f"airflow: {run_id}", "alert")


HOOK = """import os


def notify(context):
    "The failure callback a team configures (airflow.on_failure): here it writes the task and run it was called for."
    with open(os.environ["HOOK_OUT"], "w") as f:
        f.write(f"{context['ti'].task_id} {context['run_id']}")
"""


@pytest.mark.timeout(1200)
def test_a_failing_task_fails_its_airflow_task_its_run_record_and_calls_the_failure_callback(tmp_path):
    "retries and on_failure come from airflow:; only `data_audit` and `ingest` run (`--mark-success-pattern` marks the rest done)."
    from nbs_lib.dags import export, record_id

    root = _copy_project(
        tmp_path,
        [
            {
                "file": "audit.ipynb",
                "name": "data audit",
                "upstream": [],
                "code": "raise ValueError('3 rows with a negative age')",
            }
        ],
    )
    home = tmp_path / "home"
    (home / "dags").mkdir(parents=True)
    (home / "dags" / "shipshape_hooks.py").write_text(HOOK)  # the DAGs folder is on Airflow's import path
    over = yaml.safe_load((ROOT / "env.test.yaml").read_text()) | {
        "airflow": {"retries": 0, "on_failure": "shipshape_hooks:notify"}
    }
    export("airflow", home / "dags", over, root=root)
    r, run_id, states = _dags_test(
        home,
        "shipshape_pipeline",
        "--mark-success-pattern",
        "(?!(data_audit|ingest)$).*",
        env={"HOOK_OUT": str(tmp_path / "hook.txt")},
    )
    out = r.stdout + r.stderr
    assert (states["data_audit"], states["<dag run>"]) == ("failed", "failed"), (states, out[-3000:])
    assert (tmp_path / "hook.txt").read_text() == f"data_audit {run_id}"
    assert f"shipshape: task data_audit of run {run_id} failed (try 1)" in out
    rec = json.loads((root / "products" / "uci-adult" / "runs" / f"{record_id('airflow', run_id)}.json").read_text())
    assert (rec["status"], rec["error"]["task"], rec["error"]["message"]) == (
        "failed",
        "data audit",
        "ValueError: 3 rows with a negative age",
    )
    rows = {t["name"]: t["status"] for t in rec["tasks"]}
    assert (rows["data audit"], rows["ingest"], states["ingest"]) == (
        "errored",
        "executed",
        "success",
    )  # another branch's success: still failed


def test_the_argo_export_is_valid_for_hera_with_the_pipeline_graph_and_the_alert_branch(exported):
    "Argo Workflows: validated with its SDK (Hera's models, from Argo's API schema) only; nothing runs here."
    from hera.workflows import CronWorkflow, WorkflowTemplate

    from nbs_lib.dags import pipeline_graph

    pipe_file, mon_file = exported["argo"]
    assert (pipe_file.name, mon_file.name) == ("shipshape-pipeline.yaml", "shipshape-monitor.yaml")
    pipe = WorkflowTemplate.from_yaml(pipe_file.read_text())  # Hera's typed models refuse a wrong field type
    mon = CronWorkflow.from_yaml(mon_file.read_text())
    doc = yaml.safe_load(pipe_file.read_text())
    dag = next(t["dag"]["tasks"] for t in doc["spec"]["templates"] if t["name"] == "pipeline")
    graph = pipeline_graph(None, ROOT)
    assert [(t["name"], t.get("depends")) for t in dag] == [
        (g["name"], " && ".join(g["upstream"]) or None) for g in graph
    ]  # no pipeline task name needs renaming for Argo
    (task,) = [t for t in doc["spec"]["templates"] if t["name"] == "shipshape-task"]
    assert task["container"]["args"][:6] == [
        "task",
        "{{inputs.parameters.task}}",
        "--run-id",
        "{{workflow.name}}",
        "--engine",
        "argo",
    ]
    assert task["container"]["volumeMounts"] == [{"name": "shipshape-shared", "mountPath": "/app/shared"}]
    assert pipe.name == "shipshape-pipeline" and mon.schedules == ["@hourly"] and mon.concurrency_policy == "Forbid"
    mdoc = yaml.safe_load(mon_file.read_text())["spec"]["workflowSpec"]
    branch = next(t["dag"]["tasks"] for t in mdoc["templates"] if t["name"] == "monitoring")
    assert {t["name"]: t.get("when") for t in branch} == {
        "monitor": None,
        "alert": "{{tasks.monitor.outputs.parameters.outcome}} == alert",
        "all-clear": "{{tasks.monitor.outputs.parameters.outcome}} != alert",
    }
