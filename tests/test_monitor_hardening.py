"""The monitoring job fails safe (issue 20, items 2-5, 11, 12; issue 11, item 2): the inbox is a trust boundary, one bad
file never stops the job, a file is taken only when complete, no alert is lost to a kill or an overlap, an alert is not
a failure (exit 0 ok, 1 alert, 2 failed), and the record of a killed run says so.

Most tests run the real job (`shipshape monitor`) on a small inbox without a registry (no drift check);
the tests of lost alerts copy the session's test build's registry (a production model) and kill the job at named
steps with the test-only hook `SHIPSHAPE_TEST_KILL_AT` (see `nbs_lib.monitor`)."""

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT
from nbs_lib.config import load_env

SHIPSHAPE = str(Path(sys.executable).parent / "shipshape")

ENV = load_env(root=ROOT)


@functools.cache
def _valid_test_rows() -> pd.DataFrame:
    from nbs_lib.data import load_split
    from nbs_lib.validate import load_contract, validate

    rows, _ = load_split(ENV, "test", ROOT)
    return validate(rows, load_contract(ENV, ROOT)[0]).valid


def _rows(n=40, seed=0) -> pd.DataFrame:
    "n rows of the test split that pass the contract: a batch of them is all clear."
    return _valid_test_rows().sample(n, random_state=seed).reset_index(drop=True)


def _drop(inc: Path, name: str, data: bytes | str, ready: bool = True) -> Path:
    "Put a batch into the inbox, with its ready marker (the writer's way of saying it is complete)."
    p = inc / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    if ready:
        (inc / f"{name}.ready").touch()
    return p


def _project(tmp: Path, registry: Path | None = None) -> dict:
    "An inbox, products and a registry under `tmp`; the env override file naming them."
    inc = tmp / "incoming"
    inc.mkdir(parents=True, exist_ok=True)
    env = {
        "products": str(tmp / "products"),
        "monitoring": {"incoming": str(inc)},
        "registry": {"path": str(registry or tmp / "registry")},
        "wandb": {"dir": str(tmp)},
    }
    (tmp / "env.yaml").write_text(yaml.safe_dump(env))
    return {
        "tmp": tmp,
        "inc": inc,
        "products": tmp / "products" / "uci-adult",
        "env": tmp / "env.yaml",
        "over": env,
    }  # under the data set's name


def _job(p: dict, *args, env: dict | None = None, popen: bool = False):
    cmd = [SHIPSHAPE, "monitor", "--env", str(p["env"]), "--trigger", "pytest", *args]
    kw = {"capture_output": not popen, "text": True, "cwd": ROOT, "env": {**os.environ, **(env or {})}}
    if popen:
        return subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **{k: v for k, v in kw.items() if k != "capture_output"},
        )
    return subprocess.run(cmd, timeout=600, **kw)


def _ledger(p: dict) -> list[dict]:
    f = p["products"] / "ledger.jsonl"
    return [json.loads(ln) for ln in f.read_text().splitlines()] if f.exists() else []


def _tree(products: Path) -> dict:
    "Every file under products with its size and modification time."
    return {
        str(q.relative_to(products)): (q.stat().st_size, q.stat().st_mtime_ns)
        for q in products.rglob("*")
        if q.is_file()
    }


# ---------------------------------------------------------------- the inbox is a trust boundary (#20 item 2, 12)
def test_a_symlink_in_the_inbox_is_refused_and_its_target_never_read(tmp_path):
    p = _project(tmp_path)
    secret = tmp_path / "secret.csv"  # a table the link points to: it would be taken
    secret.write_text(_rows(5).to_csv(index=False) + "SECRET-MARKER,x\n")
    (p["inc"] / "to-secret.csv").symlink_to(secret)
    (p["inc"] / "to-project.csv").symlink_to(ROOT / "data" / "raw" / "adult.data")  # even a file inside the project
    (p["inc"] / "to-passwd.csv").symlink_to("/etc/passwd")
    _drop(p["inc"], "good.csv", _rows().to_csv(index=False))
    r = _job(p)
    assert r.returncode == 1 and r.stdout.startswith("ALERT: ") and r.stdout.count("\n") == 1, r.stdout + r.stderr
    led = {e["file"]: e for e in _ledger(p)}
    for name, target in [
        ("to-secret.csv", secret),
        ("to-project.csv", ROOT / "data" / "raw" / "adult.data"),
        ("to-passwd.csv", "/etc/passwd"),
    ]:
        e = led[name]
        assert (e["status"], e["quarantine_path"], e["sha256"], e["rows_in"]) == ("rejected", None, None, 0)
        assert e["reasons"]["file"] == f"a symbolic link (to {target}): refused, its target was not read"
        assert f"{name}: rejected (a symbolic link" in r.stdout
    assert led["good.csv"]["status"] == "ok"  # the job went on with the other files
    copies = b"".join(q.read_bytes() for q in p["products"].rglob("*") if q.is_file())
    assert b"SECRET-MARKER" not in copies and b"root:" not in copies  # no target's bytes anywhere in the products
    again = _job(p, "--batch", str(p["inc"] / "to-secret.csv"))  # named directly: refused the same way, once
    assert again.returncode == 1 and len(_ledger(p)) == len(led)


def test_batch_and_incoming_arguments_stay_inside_the_inbox(tmp_path):
    "The panel and the command line name a batch or a folder: a file behind a linked folder, or a folder outside, is refused."
    p = _project(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    _drop(outside, "b.csv", _rows().to_csv(index=False))
    (p["inc"] / "linked").symlink_to(outside)
    r = _job(p, "--batch", str(p["inc"] / "linked" / "b.csv"))
    assert (
        (r.returncode, r.stdout.count("\n")) == (2, 1)
        and r.stdout.startswith("FAILED: ValueError: batch ")
        and "not inside the incoming folder" in r.stdout
    )
    r = _job(p, "--incoming", "/etc")
    assert r.returncode == 2 and r.stdout.startswith("FAILED: SettingsError") and "outside the project root" in r.stdout
    assert not (p["products"] / "ledger.jsonl").exists()
    (p["inc"] / "day1").mkdir()
    _drop(p["inc"] / "day1", "b.csv", _rows().to_csv(index=False))
    r = _job(p, "--batch", str(p["inc"] / "day1" / "b.csv"))  # a real subfolder of the inbox: taken
    assert r.returncode == 0 and [(e["file"], e["status"]) for e in _ledger(p)] == [("b.csv", "ok")], (
        r.stdout + r.stderr
    )


def test_folders_special_and_unreadable_files_are_rejected_and_the_job_goes_on(tmp_path):
    p = _project(tmp_path)
    (p["inc"] / "a-folder").mkdir()
    _drop(p["inc"] / "a-folder", "inside.csv", _rows().to_csv(index=False))
    os.mkfifo(p["inc"] / "pipe.csv")  # opening it for reading would block: never opened
    locked = _drop(p["inc"], "locked.csv", _rows(10).to_csv(index=False))
    locked.chmod(0)
    _drop(p["inc"], "good.csv", _rows().to_csv(index=False))
    r = _job(p)
    led = {e["file"]: e for e in _ledger(p)}
    assert r.returncode == 1 and r.stdout.startswith("ALERT: "), r.stdout + r.stderr
    assert (led["a-folder"]["status"], led["a-folder"]["reasons"]["file"]) == (
        "rejected",
        "a directory: the inbox takes files only, and folders are not searched",
    )
    assert (led["pipe.csv"]["status"], led["pipe.csv"]["reasons"]["file"]) == ("rejected", "not a regular file (FIFO)")
    assert "inside.csv" not in led and led["good.csv"]["status"] == "ok"
    if os.geteuid() != 0:  # root reads a chmod 000 file
        assert led["locked.csv"]["status"] == "rejected" and led["locked.csv"]["reasons"]["file"].startswith(
            "unreadable: PermissionError"
        )


def test_a_file_removed_between_listing_and_reading_is_rejected_and_the_others_go_on(tmp_path):
    from nbs_lib.monitor import batch_contract, process_incoming

    p = _project(tmp_path)
    good = _drop(p["inc"], "good.csv", _rows().to_csv(index=False))
    contract, _ = batch_contract(ENV, ROOT)
    r = process_incoming(
        p["inc"],
        contract,
        p["products"],
        {"warn_rate": 0.01, "fail_rate": 0.05},
        ROOT,
        files=[p["inc"] / "gone.csv", good],
        options={"settle_seconds": 0},
        na_values=["?"],
    )
    assert [(e["file"], e["status"]) for e in r["processed"]] == [("gone.csv", "rejected"), ("good.csv", "ok")]
    assert r["processed"][0]["reasons"] == {"file": "removed before it could be read"}
    assert [a["kind"] for a in r["alerts"]] == ["file rejected"]


def test_an_exception_on_one_file_quarantines_that_file_names_it_and_the_job_goes_on(tmp_path, monkeypatch):
    "A fault planted in validation for one file (the age 13 marks it): that file is quarantined with the exception, the rest go on."
    import nbs_lib.ledger
    import nbs_lib.validate
    from nbs_lib.monitor import run_job

    real = nbs_lib.validate.validate

    def faulty(df, contract, *a, **k):
        if (df["age"] == "13").any():
            raise RuntimeError("disk on fire")
        return real(df, contract, *a, **k)

    monkeypatch.setattr(nbs_lib.validate, "validate", faulty)
    monkeypatch.setattr(nbs_lib.ledger, "validate", faulty, raising=False)
    p = _project(tmp_path)
    _drop(p["inc"], "a.csv", _rows(20, 1).to_csv(index=False))
    _drop(p["inc"], "boom.csv", _rows(20, 2).assign(age="13").to_csv(index=False))
    _drop(p["inc"], "c.csv", _rows(20, 3).to_csv(index=False))
    rec = run_job(p["over"], ROOT, trigger="pytest")
    led = {e["file"]: e for e in _ledger(p)}
    assert [led[f]["status"] for f in ("a.csv", "boom.csv", "c.csv")] == ["ok", "quarantined", "ok"]
    assert led["boom.csv"]["reasons"]["file"] == "processing failed: RuntimeError: disk on fire"
    assert Path(led["boom.csv"]["quarantine_path"]).read_text().startswith("age,")  # the file is kept for a look
    assert (rec["outcome"], rec["error"]) == ("alert", None)  # an alert, not a crash
    assert [a["kind"] for a in rec["alerts"]] == ["file quarantined"] and "boom.csv" in rec["message"]


# ---------------------------------------------------------------- oversized fields, chunks (#20 items 3, 11)
def test_a_5mb_field_quarantines_its_row_not_the_job(tmp_path):
    p = _project(tmp_path)
    rows = _rows()
    text = rows.to_csv(index=False).splitlines()
    text[5] = text[5].replace(text[5].split(",")[3], "x" * 5_000_000, 1)  # line 6: a 5 MB education
    _drop(p["inc"], "big-field.csv", "\n".join(text) + "\n")
    _drop(p["inc"], "other.csv", _rows(30, 4).to_csv(index=False))
    r = _job(p)
    assert r.returncode == 0 and r.stdout.startswith("OK: 2 file(s) taken"), r.stdout + r.stderr
    led = {e["file"]: e for e in _ledger(p)}
    e = led["big-field.csv"]
    assert (e["status"], e["rows_in"], e["rows_valid"], e["rows_quarantined"], e["reasons"]) == (
        "ok",
        40,
        39,
        1,
        {"oversized": 1},
    )
    q = pd.read_csv(e["quarantine_path"], dtype=str)
    assert q.line.tolist() == ["6"] and "exceeds monitoring.max_line_bytes" in json.loads(q._reasons[0])[0]["value"]
    assert len(q._raw[0]) <= 200 and led["other.csv"]["status"] == "ok"


def test_field_and_line_limits_are_options_and_chunking_changes_no_output(tmp_path):
    from nbs_lib.ledger import monitoring_options, process_file
    from nbs_lib.monitor import batch_contract

    contract, _ = batch_contract(ENV, ROOT)
    th = {"warn_rate": 0.01, "fail_rate": 0.05}
    rows = _rows(300, 5)
    rows.loc[7, "occupation"] = "y" * 300
    rows.loc[9, "native-country"] = "z" * 2000
    src = tmp_path / "b.csv"
    src.write_text(rows.to_csv(index=False))
    opts = monitoring_options({"monitoring": {"max_field_bytes": 256, "max_line_bytes": 1000}})
    one = process_file(src, contract, tmp_path / "one", th, opts | {"chunk_rows": 100_000}, ["?"])
    many = process_file(src, contract, tmp_path / "many", th, opts | {"chunk_rows": 7}, ["?"])
    for k in ("rows_in", "rows_valid", "rows_quarantined", "reasons", "duplicate_rows"):
        assert one[k] == many[k], k
    for f in ("valid.csv", "quarantine.csv"):
        assert Path(one[f.replace(".csv", "_path")]).read_bytes() == Path(many[f.replace(".csv", "_path")]).read_bytes()
    q = pd.read_csv(one["quarantine_path"], dtype=str).set_index("line")
    why = {ln: json.loads(r)[0]["value"] for ln, r in q._reasons.items()}
    assert why["9"] == "field larger than monitoring.max_field_bytes (256)"  # row 7: line 9
    assert why["11"].startswith("line of ") and why["11"].endswith("exceeds monitoring.max_line_bytes (1,000)")
    assert one["rows_in"] == 300 and one["reasons"]["oversized"] == 2


def test_inbox_options_are_configuration_keys():
    from nbs_lib.ledger import monitoring_options

    env = load_env(
        {"monitoring": {"settle_seconds": 0.5, "max_field_bytes": 1000, "max_line_bytes": 4000, "chunk_rows": 10}}, ROOT
    )
    assert monitoring_options(env) == {
        "settle_seconds": 0.5,
        "max_field_bytes": 1000,
        "max_line_bytes": 4000,
        "chunk_rows": 10,
    }


# ---------------------------------------------------------------- complete files only (#20 item 4)
def test_a_file_still_being_written_is_left_for_later_and_taken_once_complete(tmp_path):
    "A real slow writer appends rows while the job runs: the file waits; once still, it is taken once, whole."
    p = _project(tmp_path)
    rows = _rows(400, 6)
    lines = rows.to_csv(index=False).splitlines(keepends=True)
    path = p["inc"] / "slow.csv"
    stop = threading.Event()
    written = [0]

    def writer():
        with open(path, "w") as f:
            f.write(lines[0])
            f.flush()
            for ln in lines[1:]:
                if stop.is_set():
                    break
                f.write(ln)
                f.flush()
                written[0] += 1
                time.sleep(0.05)

    th = threading.Thread(target=writer)
    th.start()
    try:
        time.sleep(0.5)
        first = _job(p)  # the writer is still appending
    finally:
        stop.set()
        th.join()
    assert first.returncode == 0 and first.stdout.startswith(
        "OK: nothing new (1 file(s) still being written: slow.csv)"
    ), first.stdout + first.stderr
    assert _ledger(p) == []
    time.sleep(2.2)  # the file has been still for monitoring.settle_seconds (2 s)
    second = _job(p)
    assert second.returncode == 0 and second.stdout.startswith("OK: 1 file(s) taken"), second.stdout + second.stderr
    third = _job(p)
    assert third.returncode == 0 and third.stdout.startswith("OK: nothing new")
    (e,) = _ledger(p)
    assert (e["file"], e["status"], e["rows_in"]) == ("slow.csv", "ok", written[0])


def test_a_taken_file_that_grows_is_rejected_not_taken_twice(tmp_path):
    "The writer appended after the job took the file: the grown file is refused, so no row can sit in two valid sets."
    p = _project(tmp_path)
    rows = _rows(60, 7)
    path = _drop(p["inc"], "daily.csv", rows.iloc[:30].to_csv(index=False), ready=False)
    time.sleep(2.2)  # still for monitoring.settle_seconds: complete
    assert _job(p).returncode == 0
    with open(path, "a") as f:
        f.write(rows.iloc[30:].to_csv(index=False, header=False))
    time.sleep(2.2)  # the grown file is complete again (it used to settle while the command loaded torch)
    r = _job(p)
    assert r.returncode == 1 and "daily.csv: rejected (grew after it was taken: its first " in r.stdout, (
        r.stdout + r.stderr
    )
    assert [(e["status"], e["rows_valid"]) for e in _ledger(p)] == [("ok", 30), ("rejected", 0)]


# ---------------------------------------------------------------- outcomes and exit codes (#11 item 2)
def test_exit_codes_say_ok_alert_or_failed_in_one_line(tmp_path):
    p = _project(tmp_path)
    _drop(p["inc"], "clean.csv", _rows().to_csv(index=False))
    ok = _job(p)
    assert (ok.returncode, ok.stdout.count("\n")) == (0, 1) and ok.stdout.startswith(
        "OK: 1 file(s) taken, 0 batch(es) drift-checked: all clear"
    )
    assert "wait for a drift check: no production model" in ok.stdout
    _drop(p["inc"], "garbage.bin", bytes(range(256)) * 8)
    alert = _job(p)
    assert (alert.returncode, alert.stdout.count("\n")) == (1, 1) and alert.stdout.startswith(
        "ALERT: garbage.bin: rejected (binary content"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(p["over"] | {"validation": {"fail_rate": "high"}}))
    failed = subprocess.run([SHIPSHAPE, "monitor", "--env", str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert (
        (failed.returncode, failed.stdout.count("\n")) == (2, 1)
        and failed.stdout.startswith("FAILED: SettingsError")
        and "fail_rate" in failed.stdout
    )
    broken = _project(tmp_path / "no-contract")  # no stored contract and no model: the job cannot work
    broken["env"].write_text(yaml.safe_dump(broken["over"] | {"dataset": {"name": "no-such-data"}}))
    _drop(broken["inc"], "clean.csv", _rows().to_csv(index=False))
    crash = _job(broken)
    assert (crash.returncode, crash.stdout.count("\n")) == (2, 1) and crash.stdout.startswith(
        "FAILED: ValueError: no data contract"
    )
    (rec,) = [
        json.loads(q.read_text()) for q in (broken["products"].parent / "no-such-data" / "runs").glob("monitor-*.json")
    ]
    assert (rec["status"], rec["outcome"]) == ("failed", "failed") and rec["error"]["message"].startswith(
        "ValueError: no data contract"
    )
    runs = sorted(
        (json.loads(q.read_text()) for q in (p["products"] / "runs").glob("monitor-*.json")),
        key=lambda r: r["started_at"],
    )
    assert [(r["status"], r["outcome"]) for r in runs] == [("ok", "ok"), ("alert", "alert")]
    assert all(r["pid"] and r["process_started"] for r in runs)


def test_a_killed_run_record_says_failed_killed(tmp_path):
    from nbs_lib.monitor import list_runs
    from nbs_lib.pipeline import list_runs as all_runs

    p = _project(tmp_path)
    _drop(p["inc"], "a.csv", _rows().to_csv(index=False))
    r = _job(p, env={"SHIPSHAPE_TEST_KILL_AT": "validated"})
    assert r.returncode == -signal.SIGKILL
    (raw,) = [json.loads(q.read_text()) for q in (p["products"] / "runs").glob("monitor-*.json")]
    assert raw["status"] == "running"  # as the killed process left it
    (rec,) = list_runs(p["products"])
    assert (rec["status"], rec["outcome"], rec["killed"]) == ("failed", "failed", True) and rec["error"][
        "message"
    ].startswith("killed: process ")
    assert all_runs(p["products"])[0]["status"] == "failed"
    assert (
        _ledger(p)[0]["state"]["validated"] and _ledger(p)[0]["state"]["drift_checked"] is None
    )  # its drift check is pending


# ---------------------------------------------------------------- no alert is lost (#20 item 5)
@pytest.fixture(scope="module")
def drifted(built, tmp_path_factory):
    "A drifted labelled batch (the simulator's default drift for the production model's inputs), and the build's registry."
    from nbs_lib.features import load_spec
    from nbs_lib.registry import load
    from nbs_lib.simulate import default_drift, simulate_batches
    from nbs_lib.validate import load_contract

    d = tmp_path_factory.mktemp("drifted")
    model = load("production", built["registry"])
    contract = load_contract(ENV, ROOT)[0]
    drift = default_drift(contract, [c["name"] for c in load_spec(model.dir / "transform.json")["columns"]])
    first = simulate_batches(d, days=8, drift=drift, drift_from=0, seed=11, env=ENV, root=ROOT, contract=contract)[0]
    return {"batch": first.read_bytes(), "name": first.name, "registry": built["registry"], "drift": drift}


def _with_model(tmp: Path, drifted: dict) -> dict:
    shutil.copytree(drifted["registry"], tmp / "registry" / "uci-adult")
    p = _project(tmp, tmp / "registry")
    _drop(p["inc"], drifted["name"], drifted["batch"])
    return p


@pytest.mark.parametrize("step", ["intake", "validated", "drift"])
def test_a_kill_delays_the_drift_alert_but_never_drops_it(drifted, tmp_path, step):
    p = _with_model(tmp_path, drifted)
    killed = _job(p, env={"SHIPSHAPE_TEST_KILL_AT": step})
    assert killed.returncode == -signal.SIGKILL
    rerun = _job(p)
    assert rerun.returncode == 1 and rerun.stdout.startswith(f"ALERT: {drifted['name']}: data drift in "), (
        rerun.stdout + rerun.stderr
    )
    (e,) = _ledger(p)  # taken once, drift-checked once the job could
    assert e["file"] == drifted["name"] and e["state"]["drift_checked"]["outcome"] == "alert"
    latest = json.loads((p["products"] / "monitoring" / "latest.json").read_text())
    assert latest["batch"] == drifted["name"] and latest["alert"]["fired"] and latest["outcome"] == "alert"
    assert next(iter(drifted["drift"])) in latest["alert"]["drifted_columns"]
    again = _job(p)  # nothing new, and the alert still stands
    assert again.returncode == 1 and again.stdout.startswith("ALERT: nothing new; standing alert since run ")


def test_a_second_run_during_the_first_is_refused_touches_nothing_and_no_drift_check_is_lost(drifted, tmp_path):
    p = _with_model(tmp_path, drifted)
    flag = tmp_path / "hold"
    flag.touch()
    first = _job(p, env={"SHIPSHAPE_TEST_PAUSE_AT": f"validated={flag}"}, popen=True)
    try:
        t = time.time()
        while not Path(f"{flag}.reached").exists():
            assert first.poll() is None and time.time() - t < 300, "the first run never reached its pause"
            time.sleep(0.1)
        before = _tree(p["products"])
        second = _job(p)
        assert (second.returncode, second.stdout.count("\n")) == (2, 1), second.stdout + second.stderr
        assert second.stdout.startswith("FAILED: refused: .monitor.lock is held by monitoring job monitor-")
        assert f"(process {first.pid}," in second.stdout and "this run touched nothing" in second.stdout
        assert _tree(p["products"]) == before  # not one shared file touched, no run record written
    finally:
        flag.unlink()
        out, err = first.communicate(timeout=600)
    assert first.returncode == 1 and out.startswith(f"ALERT: {drifted['name']}: data drift in "), out + err
    (e,) = _ledger(p)
    assert e["state"]["drift_checked"]["outcome"] == "alert"
    (rec,) = [json.loads(q.read_text()) for q in (p["products"] / "runs").glob("monitor-*.json")]
    assert (rec["outcome"], rec["scorecard"]) == ("alert", {"refreshed": True})  # the scorecard follows the run (#11)
    card = p["products"] / "readiness" / "scorecard.json"
    assert card.stat().st_mtime >= Path(rec["tasks"][0]["notebook"]).stat().st_mtime
