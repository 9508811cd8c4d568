"""End to end: the training pipeline on the bundled data, with real components."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, env_for

TASKS = ["ingest", "validate", "features", "train", "evaluate", "export", "register", "readiness", "report"]


def test_build_succeeds_and_every_task_ran(built):
    rec = built["record"]
    assert rec["status"] == "ok", rec.get("error")
    assert [t["name"] for t in rec["tasks"]] == TASKS
    assert all(t["ran"] for t in rec["tasks"]) and rec["trigger"] == "pytest"


def test_every_task_has_an_executed_notebook_and_html(built):
    for t in TASKS:
        nb = json.loads((built["products"] / "reports" / f"{t}.ipynb").read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert code and all(c.get("execution_count") for c in code), t
        assert not any(o.get("output_type") == "error" for c in code for o in c["outputs"]), t
        page = (built["products"] / "reports" / f"{t}.html").read_text()
        assert "<html" in page[:2000].lower()
        code_cells = re.findall(r'<div class="jp-Cell jp-CodeCell[^"]*"', page)
        assert code_cells and all(
            "jp-mod-noInput" in c for c in code_cells
        )  # reviewers read no code; the .ipynb keeps it
        assert "Traceback" not in page


def test_metrics_json_has_four_candidates_and_an_honest_choice(built):
    m = json.loads((built["products"] / "05_evaluation/metrics.json").read_text())
    assert set(m["candidates"]) == {"baseline", "mlp", "lightgbm", "lightgbm_fair"}  # the last: the fairness lever
    for c in m["candidates"].values():
        for split in ("valid", "test"):
            assert {"roc_auc", "pr_auc", "accuracy", "brier"} <= set(c[split])
    assert all(c["p99_us"] <= m["latency_budget_ms"] * 1000 for c in m["serving_cost"].values())  # all within budget
    sel = m["selection"]  # every candidate's verdict; one replaces the baseline only with a gain beyond the noise
    assert [k for k, c in sel["candidates"].items() if c["chosen"]] == [m["chosen"]]
    assert all(c["reason"] for c in sel["candidates"].values()) and sel["confidence"] == 0.9
    if m["chosen"] != "baseline":
        c = sel["candidates"][m["chosen"]]
        assert c["cleared"] and c["gain"] >= 0.002 and c["low"] > 0
    assert m["test"] == m["candidates"][m["chosen"]]["test"]
    assert m["test"]["roc_auc"] > 0.85  # a 25 % sample and 3 epochs; the full run reaches 0.90
    assert {s["column"] for s in m["slices"]} == {"sex", "race", "age"}


def test_search_json_records_every_trial_and_its_winner_trains_the_tree_model(built):
    s = json.loads((built["products"] / "04_models/search.json").read_text())
    m = json.loads((built["products"] / "05_evaluation/metrics.json").read_text())
    assert (s["family"], s["split"], s["budget"]["trials"], len(s["trials"])) == ("lightgbm", "valid", 2, 2)
    assert all(t["seconds"] > 0 and 0.5 < t["value"] <= 1 for t in s["trials"])
    assert s["best"]["value"] == max(t["value"] for t in s["trials"])
    assert m["hyperparameters"]["lightgbm"] == s["best"]["params"]
    assert set(s["not_searched"]) == {"mlp", "baseline"}


def test_every_row_is_valid_or_quarantined(built):
    v = json.loads((built["products"] / "02_validated/validation.json").read_text())
    for split in ("train", "test"):
        s = v[split]
        assert s["rows_in"] == s["rows_valid"] + s["rows_quarantined"]
    valid = pd.read_parquet(built["products"] / "02_validated/train.parquet")
    assert len(valid) == v["train"]["rows_valid"]


def test_onnx_export_matches_pytorch(built):
    from nbs_lib.calibrate import Calibrator
    from nbs_lib.runtime import onnx_predict, onnx_session
    from nbs_lib.train import load_model, predict_proba

    e = json.loads((built["products"] / "06_export/export.json").read_text())
    t = e["targets"]["onnx-fp32"]
    assert t["status"] == "ok" and t["parity"]["max_abs_diff"] <= 1e-4 and t["opset"] == 17
    d = np.load(built["products"] / "03_features/features.npz")
    m = json.loads((built["products"] / "05_evaluation/metrics.json").read_text())
    sess = onnx_session(built["products"] / "06_export/model.onnx")
    cal = Calibrator.from_dict(m["calibration"])  # the graph serves the evaluate task's calibration
    assert (
        np.abs(
            onnx_predict(sess, d["X_test"][:100])
            - cal.apply(predict_proba(load_model(m["model_file"]), d["X_test"][:100]))
        ).max()
        < 1e-4
    )


def test_wandb_offline_run_holds_params_metrics_and_artifacts(built):
    from nbs_lib.tracking import read_offline_run

    w = json.loads((built["products"] / "07_report/wandb.json").read_text())
    assert w["mode"] == "offline" and w["sync"] == f"wandb sync {w['run_dir']}"
    run = read_offline_run(w["run_dir"])
    assert run["config"]["train"]["mlp"]["epochs"] == 3
    assert len(run["config"]["data_version"]) == 64 and set(run["config"]["data_files"]) == {"train", "test"}
    assert run["config"]["environment"]["packages"]["torch"].startswith("2.13")
    m = json.loads((built["products"] / "05_evaluation/metrics.json").read_text())
    assert run["summary"]["test/roc_auc"] == m["test"]["roc_auc"]
    assert {a["name"] for a in run["artifacts"]} == {"model", "model-onnx"}
    assert "model.onnx" in next(a for a in run["artifacts"] if a["name"] == "model-onnx")["files"]
    assert len(run["history"]) == 3


def test_index_links_every_task_report_of_its_own_run(built):
    page = (built["products"] / "index.html").read_text()
    run = built["record"]["id"]
    for t in TASKS:
        assert f'href="runs/{run}/reports/{t}.html"' in page
        assert (built["products"] / "runs" / run / "reports" / f"{t}.ipynb").exists()
    assert "test roc_auc" in page


def test_second_build_runs_no_task(built):
    from nbs_lib.pipeline import build

    card = built["products"] / "readiness" / "scorecard.json"
    card.write_text(card.read_text())  # a refreshed scorecard (a product's content and time: Ploomber never reads them)
    (card.parent / "reviewer-notes.txt").write_text("read on Monday")  # a file the DAG does not declare
    rec = build(built["env"], root=ROOT, trigger="pytest")
    assert rec["status"] == "ok" and not any(t["ran"] for t in rec["tasks"])
    # nothing ran: each task's report and notebook are the copies of the run that last ran it, both from that run
    first = built["record"]["id"]
    assert rec["unchanged_since"] == first  # decided without rendering the DAG: nothing it depends on changed
    assert {t["report_run"] for t in rec["tasks"]} == {first}
    assert all(
        f"/runs/{first}/reports/" in t["report"] and f"/runs/{first}/reports/" in t["notebook"] for t in rec["tasks"]
    )


def test_training_is_reproducible(built):
    "Retraining with the same data and seed in another process gives the pipeline's metrics to 1e-6."
    from nbs_lib.config import load_env
    from nbs_lib.train import train_mlp

    cfg = load_env(built["env"], ROOT)["train"]
    d = np.load(built["products"] / "03_features/features.npz")
    _, hist = train_mlp(
        d["X_train"], d["y_train"], d["X_valid"], d["y_valid"], seed=cfg["seed"], progress=False, **cfg["mlp"]
    )
    piped = json.loads((built["products"] / "04_models/training.json").read_text())["mlp"]
    assert len(hist) == len(piped)
    for a, b in zip(hist, piped):
        assert abs(a["valid_roc_auc"] - b["valid_roc_auc"]) <= 1e-6 and abs(a["loss"] - b["loss"]) <= 1e-6


def test_a_second_build_is_refused_while_another_holds_the_pipeline_lock(tmp_path):
    "Two builds at once would register two versions of one model with one W&B run id: the second is refused, naming the first."
    import subprocess
    import sys

    from nbs_lib.config import Busy
    from nbs_lib.pipeline import build

    lock = tmp_path / "products" / "uci-adult" / ".pipeline.lock"  # a data set's products live under its name
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom nbs_lib.config import file_lock\n"
            "with file_lock(sys.argv[1], 'pipeline build run-first (make run)'):\n"
            "    print('held', flush=True); time.sleep(120)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(Busy, match=r"held by pipeline build run-first \(make run\) \(process \d+"):
            build(env_for(tmp_path), root=ROOT, trigger="pytest")
        assert not (
            tmp_path / "products" / "uci-adult" / "runs"
        ).exists()  # a refused build leaves no run record behind
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_build_leaves_a_record_that_says_killed(tmp_path):
    "SIGKILL mid-build cannot write the record's end; the next reader marks it failed (killed) instead of running forever."
    import json
    import signal
    import subprocess
    import sys
    import time

    from nbs_lib.pipeline import list_runs

    code = (
        "import json, sys\nfrom pathlib import Path\nfrom nbs_lib.pipeline import build\n"
        "build(json.loads(Path(sys.argv[1]).read_text()), root=sys.argv[2], trigger='pytest')"
    )
    (tmp_path / "env.json").write_text(json.dumps(env_for(tmp_path)))
    p = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "env.json"), str(ROOT)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    runs = tmp_path / "products" / "uci-adult" / "runs"
    for _ in range(600):  # until the record of the running build exists
        if list(runs.glob("*.json")):
            break
        time.sleep(0.1)
    rec = json.loads(next(runs.glob("*.json")).read_text())
    assert rec["status"] == "running" and rec["pid"] == p.pid
    p.send_signal(signal.SIGKILL)
    p.wait()
    [settled] = list_runs(tmp_path / "products" / "uci-adult")
    assert (settled["status"], settled["outcome"], settled["killed"]) == ("failed", "failed", True)
    assert f"process {p.pid}" in settled["error"]["message"]


def test_every_report_opens_with_its_verdict_and_closes_with_its_lineage(built):
    "#13: a reviewer reads the decision first and the lineage last; the .ipynb carries the same cells."
    run = built["record"]["id"]
    for t in built["record"]["tasks"]:
        page = Path(t["report"]).read_text()
        page = page[page.index("<body") :]  # the styles in <head> name the classes too
        badge = re.search(r'<span style="background:#[0-9a-f]{6};color:#fff[^>]*>(PASS|WARN|FAIL|DONE)</span>', page)
        assert badge and badge.start() < page.index('class="jp-OutputArea')  # before any output of the task's code
        lin = json.loads((built["products"] / "lineage" / f"{t['name']}.json").read_text())
        first = next(iter(lin["inputs"].values()))
        assert page.index("Lineage") > badge.start() and f"<code>{run}</code>" in page
        assert (first.get("sha256") or first.get("kind"))[:16] in page
    m = json.loads((built["products"] / "05_evaluation/metrics.json").read_text())
    ev = Path(next(t["notebook"] for t in built["record"]["tasks"] if t["name"] == "evaluate")).read_text()
    assert f"chosen `{m['chosen']}`" in ev  # the verdict names the chosen model in the notebook too


def test_reports_show_no_code_no_prompts_no_tracebacks_and_numbers_for_people(built):
    "#13: no input cell, no In [ ] prompt, no traceback, no raw object repr, no float printed to machine precision."
    for t in built["record"]["tasks"]:
        page = Path(t["report"]).read_text()
        body = page[page.index("<body") :]
        text = re.sub(r"<(script|style)\b.*?</\1>|<img\b[^>]*>", "", body, flags=re.S)  # plots are images
        text = re.sub(r"<[^>]+>", " ", text)
        code_cells = re.findall(r'class="jp-Cell jp-CodeCell[^"]*"', body)
        assert code_cells and all("jp-mod-noInput" in c for c in code_cells)  # markdown keeps its input area
        assert "hl-ipython3" not in body and "jp-InputPrompt" not in body and "In&nbsp;[" not in body
        assert "Traceback (most recent call last)" not in text and "PosixPath(" not in text
        long = re.findall(r"(?<![\w.])\d+\.0*[1-9]\d{6,}(?![\w.])", text)  # 0.9281934512, not 0.0001758
        assert long == [], t["name"]


def test_a_failed_run_says_in_words_which_step_stopped_and_names_the_setting_its_message_names(tmp_path):
    "A column declared as the label that is not the target: the run stops, and its record names dataset.columns."
    from nbs_lib.config import load_env
    from nbs_lib.pipeline import build

    dataset = load_env(root=ROOT)["dataset"] | {"columns": {"age": "label"}}
    rec = build(env_for(tmp_path, dataset=dataset), root=ROOT, trigger="pytest")
    err = rec["error"]
    assert rec["outcome"] == "failed"
    assert err["parameter"] == {
        "setting": "dataset.columns",
        "value": {"age": {"role": "label"}},
    }  # as the settings read it
    assert err["plain"].startswith(f"The {err['task']} step stopped: dataset.columns declares 'age' as label, but ")
    assert "The message names the setting dataset.columns" in err["plain"]
    assert err["message"].startswith("ValueError: dataset.columns declares 'age' as label")
