"""Pipeline runs started from the panel, and whether any run of the project (panel, `make run`, scheduled) is live."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import psutil

from . import jobs


def _when(s) -> dt.datetime | None:
    try: return dt.datetime.fromisoformat(s)
    except (TypeError, ValueError): return None


COMMANDS = {"pipeline": ("nbs_lib.pipeline", "build"), "monitor": ("nbs_lib.monitor", "run")}


def kind(rec: dict) -> str:
    "What a run record records: `pipeline` (a build) or `monitor` (a monitoring job)."
    return rec.get("kind") or "pipeline"


def build_processes(root: Path, what: str = "pipeline") -> list[int]:
    "Process ids of `python -m nbs_lib.pipeline build` (or `nbs_lib.monitor run`) processes working in the project `root`."
    module, verb = COMMANDS[what]
    out = []
    for p in psutil.process_iter(["pid", "cmdline", "cwd"]):
        cmd = p.info.get("cmdline") or []
        if module in cmd and verb in cmd and p.info.get("cwd") and Path(p.info["cwd"]) == Path(root):
            try:
                if p.status() != psutil.STATUS_ZOMBIE: out.append(p.info["pid"])
            except psutil.NoSuchProcess: pass
    return out


def record_alive(rec: dict, root: Path) -> bool:
    "Whether a run record marked `running` still has a live process (its `pid`, else a build process in the project)."
    if rec.get("status") != "running": return False
    if rec.get("pid"): return jobs.alive(rec["pid"])
    return bool(build_processes(root, kind(rec)))


def job_run(products: Path, job: dict | None, runs: list[dict]) -> dict | None:
    "The run record a panel job writes: the same id, else the first panel run that started after the job."
    if not job or not job.get("id"): return None
    same = [r for r in runs if r.get("id") == job["id"]]
    if same: return same[0]
    t0 = _when(job.get("started_at"))
    later = [r for r in runs if r.get("trigger") == job.get("trigger", "panel") and t0 and _when(r.get("started_at"))
             and _when(r["started_at"]) >= t0 - dt.timedelta(seconds=5)]
    return min(later, key=lambda r: r["started_at"]) if later else None


def settle(products: Path, runs: list[dict]) -> None:
    "Give a finished panel job's log its run's name (`runs/<run id>.log`), once."
    last = products/"jobs"/"pipeline.last.json"
    if not last.exists(): return
    job = json.loads(last.read_text())
    if job.get("run_id"): return
    rec = job_run(products, job, runs)
    if rec is None: return
    log, want = Path(job["log"]), products/"runs"/f"{rec['id']}.log"
    if log.exists() and log != want and not want.exists(): log.rename(want)
    last.write_text(json.dumps(job | {"run_id": rec["id"], "log": str(want)}, indent=2))


def state(products: Path, root: Path, limit: int = 20) -> dict:
    "Run history (newest first) with log files and liveness, the panel's active job, and the live run if any."
    from nbs_lib.pipeline import list_runs
    job = jobs.active(products, "pipeline")
    runs = list_runs(products, limit)
    settle(products, runs)
    mine = job_run(products, job, runs)
    for r in runs:
        log = products/"runs"/f"{r['id']}.log"
        if mine is r and job: log = Path(job["log"])
        r["log"] = str(log) if log.exists() else None
        if r.get("status") == "running": r["alive"] = (mine is r and job is not None) or record_alive(r, root)
    live = next((r for r in runs if r.get("alive") and kind(r) == "pipeline"), None)
    return {"runs": runs, "job": job, "live": live or (mine if job else None), "running": bool(job or live)}


def start(products: Path, root: Path, force: bool = False, env_file: Path | None = None) -> dict:
    "Start `python -m nbs_lib.pipeline build --trigger panel` in the background; `jobs.Busy` if a run is live."
    st = state(products, root, limit=5)
    if st["running"]: raise jobs.Busy(st["job"] or {"run": st["live"]})
    run_id = f"run-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    argv = [jobs.python(), "-m", "nbs_lib.pipeline", "build", "--trigger", "panel"]
    if force: argv.append("--force")
    if env_file: argv += ["--env", str(env_file)]
    return jobs.start(products, "pipeline", argv, root, products/"runs"/f"{run_id}.log",
                      env={"SHIPSHAPE_RUN_ID": run_id}, id=run_id, trigger="panel")
