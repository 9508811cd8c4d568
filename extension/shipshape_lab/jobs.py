"""Long jobs (pipeline, monitoring, export) as detached background processes, one of each kind at a time.

A job is a `products/jobs/<kind>.json` lock file holding the process id; the process runs in its own session with
its output in a log file, so it outlives the browser tab and the Jupyter server. The lock is taken with O_EXCL, so
two requests cannot both start one. When the process has gone, the lock becomes `<kind>.last.json`.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

_children: dict[int, subprocess.Popen] = {}     # processes this server started: polled so they don't linger as zombies
JOB_ENV = {"PLOOMBER_STATS_ENABLED": "false", "GX_ANALYTICS_ENABLED": "false", "WANDB_SILENT": "true",
           "PYTHONUNBUFFERED": "1"}


def now() -> str:
    "UTC time as ISO 8601 text."
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def alive(pid: int | None, create_time: float | None = None) -> bool:
    "Whether process `pid` is still running (and is the same process, when its start time is known)."
    if not pid: return False
    if pid in _children:
        if _children[pid].poll() is None: return True
        return False
    try:
        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE: return False
        return create_time is None or abs(p.create_time() - create_time) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def lock_path(products: Path, kind: str) -> Path:
    return Path(products)/"jobs"/f"{kind}.json"


def _read(path: Path) -> dict | None:
    try: return json.loads(path.read_text())
    except FileNotFoundError: return None
    except ValueError: return {}


def tail(path, lines: int = 30) -> str:
    "The last `lines` lines of a log file."
    try:
        with open(path, "rb") as f:
            f.seek(0, 2); f.seek(max(0, f.tell() - 20000))
            return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
    except OSError: return ""


def active(products: Path, kind: str) -> dict | None:
    "The running job of `kind`, or None; a lock whose process has gone is retired to `<kind>.last.json`."
    lock = lock_path(products, kind)
    job = _read(lock)
    if job is None: return None
    if not job:                                            # being written by a request right now
        if time.time() - lock.stat().st_mtime < 30: return {"kind": kind, "starting": True}
        lock.unlink(missing_ok=True); return None
    if alive(job.get("pid"), job.get("create_time")): return job
    child = _children.pop(job.get("pid"), None)
    job |= {"finished_at": now(), "returncode": child.returncode if child else None}
    lock.with_name(f"{kind}.last.json").write_text(json.dumps(job, indent=2))
    lock.unlink(missing_ok=True)
    return None


def last(products: Path, kind: str) -> dict | None:
    "The last finished job of `kind`, with the tail of its log."
    job = _read(lock_path(products, kind).with_name(f"{kind}.last.json"))
    return job and job | {"log_tail": tail(job.get("log"))}


class Busy(Exception):
    "A job of this kind is already running."

    def __init__(self, job: dict):
        super().__init__(job); self.job = job


def start(products: Path, kind: str, argv: list[str], cwd: Path, log: Path, env: dict | None = None, **info) -> dict:
    "Start `argv` (a list, never a shell line) detached in `cwd`, output to `log`; `Busy` if one is running."
    if (job := active(products, kind)): raise Busy(job)
    lock = lock_path(products, kind); lock.parent.mkdir(parents=True, exist_ok=True)
    try: fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError: raise Busy(_read(lock) or {"kind": kind, "starting": True})
    try:
        log = Path(log); log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            p = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True, env=os.environ | JOB_ENV | (env or {}))
        _children[p.pid] = p
        try: created = psutil.Process(p.pid).create_time()
        except psutil.NoSuchProcess: created = None
        job = {"kind": kind, "pid": p.pid, "create_time": created, "argv": argv,
               "log": str(log), "started_at": now(), **info}
        os.write(fd, json.dumps(job, indent=2).encode())
    except BaseException:
        os.close(fd); lock.unlink(missing_ok=True); raise
    os.close(fd)
    return job


def python() -> str:
    "The Python that runs this server (it has nbs_lib installed)."
    return sys.executable
