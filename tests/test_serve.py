"""The scoring service (nbs_lib.serve) on the test build's production model: answers as score.py's, refusals with
reasons, the bearer token, hot reload under load with no failed request, Prometheus metrics, the monitoring tap and the
label join feeding the monitoring job's intake."""

import csv
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, env_for

GO = {"decision": "go", "blocking": []}


@pytest.fixture(scope="module")
def scratch(built, tmp_path_factory):
    "A copy of the build's registry (v0001 in production) plus v0002, the same version inverted (1 - p), qualified."

    from nbs_lib.registry import record_evidence, register
    from nbs_lib.release import inverted_bundle

    tmp = tmp_path_factory.mktemp("serve")
    reg = tmp / "registry" / "uci-adult"  # a data set's registry lives under its name
    shutil.copytree(built["registry"], reg)
    v1 = reg / "versions" / "v0001"
    worse = inverted_bundle(v1, tmp / "worse")
    files = {
        "onnx": worse / "model.onnx",
        "bundle": worse / "model.json",
        "contract": v1 / "contract.json",
        "holdout": v1 / "holdout.parquet",
    }
    assert register(reg, files, {"metrics": {}}, who="test")["version"] == "v0002"
    na = {"status": "n/a", "passed": None, "reason": "test", "candidate": "v0002", "production": "v0001"}
    record_evidence(reg, "v0002", "canary.json", na, "test")
    record_evidence(reg, "v0002", "drill.json", {"status": "n/a", "reason": "test"}, "test")
    env = env_for(tmp, registry={"path": str(tmp / "registry")}, monitoring={"incoming": str(tmp / "incoming")})
    return {"tmp": tmp, "reg": reg, "env": env, "v1": v1}


@pytest.fixture(scope="module")
def rows(scratch):
    "300 holdout rows as JSON objects (numbers as numbers), 3 of them planted bad, and score.py's answers for them."

    def number(v):  # numbers as JSON numbers, as a client sends them
        for kind in (int, float):
            try:
                return kind(v)
            except (TypeError, ValueError):
                pass
        return v

    hold = pq.read_table(scratch["v1"] / "holdout.parquet").slice(0, 300).to_pylist()
    objs = [{k: number(v) for k, v in r.items() if k != "line"} for r in hold]
    objs[3]["age"], objs[5]["workclass"], objs[7]["hours-per-week"] = "thirty", "Space-force", 1e9
    path = scratch["tmp"] / "rows.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, list(objs[0]))
        w.writeheader()
        w.writerows({k: "" if v is None else v for k, v in o.items()} for o in objs)
    out = scratch["tmp"] / "score_py.csv"
    r = subprocess.run(
        [sys.executable, str(scratch["v1"] / "score.py"), str(path), "--out", str(out)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    with open(out, newline="") as f:
        return objs, list(csv.DictReader(f))


def _app(scratch, **options):
    from nbs_lib.serve import create_app

    token = options.pop("token", None)
    return create_app("production", ROOT, scratch["env"], token, {"reload_seconds": 0.05, **options})


def test_predict_answers_each_row_as_the_standalone_scorer_does(scratch, rows):
    "A list of rows (good and bad) and single rows: status, probability (bit for bit), decision, reasons as score.py's."
    from nbs_lib.serve import serving

    objs, want = rows
    with serving(_app(scratch)) as url:
        many = httpx.post(f"{url}/predict", json=objs, timeout=30).json()
        alone = [httpx.post(f"{url}/predict", json=o).json() for o in objs[:10]]
    assert len(many) == len(want) == 300 and alone == many[:10]
    for got, w in zip(many, want):
        assert got["model_version"] == "v0001"
        assert got["status"] == w["status"]
        if w["status"] == "ok":
            assert (got["probability"], got["decision"]) == (float(w["probability"]), int(w["decision"]))
        else:
            assert got["probability"] is None and got["decision"] is None
        assert json.dumps(got["reasons"] or got["warnings"]) == (w["reasons"] or "[]")
    assert [i for i, g in enumerate(many) if g["status"] == "quarantined"] == [3, 5, 7]
    assert [(r["column"], r["rule"]) for r in many[3]["reasons"]] == [("age", "type")]


def test_wholly_invalid_requests_are_refused_with_reasons_and_nothing_scored(scratch, rows):
    from nbs_lib.serve import serving

    objs, _ = rows
    good = objs[0]
    with serving(_app(scratch, max_body_bytes=20_000, max_rows=5)) as url:
        post = lambda **kw: httpx.post(f"{url}/predict", **kw)  # noqa: E731
        not_json = post(content=b'{"age": 39,')
        not_rows = post(json=42)
        empty = post(json=[])
        missing = post(json=[good, {k: v for k, v in good.items() if k not in ("age", "workclass")}])
        nested = post(json={**good, "age": [39]})
        too_big = post(content=json.dumps([good] * 100).encode())
        too_many = post(json=[good] * 6)
        streamed = post(content=iter([b"[" + b" " * 15_000, b" " * 15_000 + b"]"]))  # chunked: no Content-Length
        unknown = httpx.get(f"{url}/predict")
        nowhere = httpx.get(f"{url}/nowhere")
        metrics = httpx.get(f"{url}/metrics").text
    assert (not_json.status_code, not_json.json()["error"]) == (400, "invalid JSON")
    assert not_rows.status_code == empty.status_code == missing.status_code == nested.status_code == 422
    assert not_rows.json()["detail"] == [
        {"row": None, "field": None, "reason": "expected a JSON object (one row) or a list of objects, got a number"}
    ]
    assert missing.json()["detail"] == [
        {"row": 1, "field": "age", "reason": "required field missing"},
        {"row": 1, "field": "workclass", "reason": "required field missing"},
    ]
    assert nested.json()["detail"][0]["field"] == "age" and "got a list" in nested.json()["detail"][0]["reason"]
    assert [r.status_code for r in (too_big, too_many, streamed)] == [413, 413, 413]
    assert "serve.max_body_bytes" in too_big.json()["detail"] and "6 > 5" in too_many.json()["detail"]
    assert (unknown.status_code, nowhere.status_code) == (405, 404) and nowhere.json()["error"] == "not found"
    assert 'shipshape_serve_rows_total{status="ok"} 0.0' in metrics  # nothing was scored


def test_a_token_guards_predict_and_metrics_not_the_probes(scratch, rows):
    from nbs_lib.serve import serving

    good = rows[0][0]
    with serving(_app(scratch, token="t0k3n")) as url:
        codes = [
            httpx.post(f"{url}/predict", json=good, headers=h).status_code
            for h in (
                {},
                {"Authorization": "Bearer wrong"},
                {"Authorization": "Basic t0k3n"},
                {"Authorization": "Bearer t0k3n"},
            )
        ]
        metrics = [httpx.get(f"{url}/metrics", headers=h).status_code for h in ({}, {"Authorization": "Bearer t0k3n"})]
        probes = [httpx.get(f"{url}/{p}").status_code for p in ("health", "ready")]
        refused = httpx.post(f"{url}/predict", json=good)
    assert codes == [401, 401, 401, 200] and metrics == [401, 200] and probes == [200, 200]
    assert refused.headers["www-authenticate"].startswith("Bearer") and refused.json()["error"] == "unauthorized"


def test_hot_reload_under_load_fails_no_request(scratch, rows):
    "Production moves to v0002 and back under a bounded load: every request 200, answered by the version in production."
    from nbs_lib.registry import promote, rollback
    from nbs_lib.serve import Scorer, load, serving

    objs, _ = rows
    body = json.dumps(objs[0]).encode()
    scorers = {v: Scorer(scratch["reg"] / "versions" / v, v) for v in ("v0001", "v0002")}
    names, parsed = scorers["v0001"].parse(objs[0], 1)[:2]
    expect = {v: s.score(names, parsed)[0]["probability"] for v, s in scorers.items()}
    assert expect["v0001"] != expect["v0002"]
    app = _app(scratch)
    result = []
    with serving(app) as url:
        t = threading.Thread(target=lambda: result.append(load(f"{url}/predict", [body], 4, 200_000, 4.0, keep=True)))
        t.start()
        time.sleep(1.0)
        promote("v0002", "test", "reload under load", override=True, reg=scratch["reg"], gate=GO)
        deadline = time.monotonic() + 2.5
        while app.state.service.scorer.version != "v0002" and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        rollback("test", "reload under load", reg=scratch["reg"])
        t.join()
        health = httpx.get(f"{url}/health").json()
    res = result[0]
    answers = [json.loads(a[2]) for a in sorted(res["answers"])]
    versions = [a["model_version"] for a in answers]
    changes = [v for i, v in enumerate(versions) if i == 0 or v != versions[i - 1]]
    assert res["failed"] == 0 and set(res["codes"]) == {200} and res["requests"] > 100
    assert changes == ["v0001", "v0002", "v0001"]
    assert all(a["probability"] == expect[a["model_version"]] for a in answers)
    assert [(r["from"], r["to"], r["result"]) for r in health["reloads"]] == [
        ("v0001", "v0002", "ok"),
        ("v0002", "v0001", "ok"),
    ]


def test_a_version_that_cannot_load_is_reported_and_the_old_one_keeps_serving(scratch, rows, tmp_path):
    from nbs_lib.registry import promote, read_state, rollback
    from nbs_lib.serve import serving

    good = rows[0][0]
    app = _app(scratch)
    onnx = scratch["reg"] / "versions" / "v0002" / "model.onnx"
    saved = onnx.read_bytes()
    with serving(app) as url:
        try:
            onnx.write_bytes(b"not a model")
            promote("v0002", "test", "broken model", override=True, reg=scratch["reg"], gate=GO)
            deadline = time.monotonic() + 5
            while not app.state.service.reloads and time.monotonic() < deadline:
                time.sleep(0.02)
            answer = httpx.post(f"{url}/predict", json=good)
            health = httpx.get(f"{url}/health").json()
            metrics = httpx.get(f"{url}/metrics").text
        finally:
            onnx.write_bytes(saved)
            if read_state(scratch["reg"])["aliases"]["production"] == "v0002":
                rollback("test", "restore", reg=scratch["reg"])
    assert (answer.status_code, answer.json()["model_version"]) == (200, "v0001")
    assert (health["reloads"][-1]["result"], health["reloads"][-1]["to"], health["model_version"]) == (
        "failed",
        "v0002",
        "v0001",
    )
    assert 'shipshape_serve_reloads_total{result="failed"} 1.0' in metrics


def test_metrics_are_prometheus_text_that_counts_what_was_served(scratch, rows):
    from prometheus_client.parser import text_string_to_metric_families

    from nbs_lib.serve import serving

    objs, _ = rows
    with serving(_app(scratch)) as url:
        for o in objs[:20]:
            httpx.post(f"{url}/predict", json=o)
        httpx.post(f"{url}/predict", json=objs[20:60])
        httpx.post(f"{url}/predict", content=b"nope")
        text = httpx.get(f"{url}/metrics").text
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    value = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in fams.values() for s in f.samples}
    assert fams["shipshape_serve_request_duration_seconds"].type == "histogram"
    assert value[("shipshape_serve_requests_total", (("code", "200"), ("route", "/predict")))] == 21
    assert value[("shipshape_serve_requests_total", (("code", "400"), ("route", "/predict")))] == 1
    assert value[("shipshape_serve_errors_total", (("kind", "bad_json"),))] == 1
    assert value[("shipshape_serve_rows_total", (("status", "quarantined"),))] == 3
    assert value[("shipshape_serve_rows_total", (("status", "ok"),))] == 57
    assert value[("shipshape_serve_request_duration_seconds_count", ())] == 22
    assert value[("shipshape_serve_request_duration_seconds_bucket", (("le", "+Inf"),))] == 22
    assert value[("shipshape_serve_model_info", (("alias", "production"), ("version", "v0001")))] == 1


def test_the_tap_feeds_the_monitoring_intake_and_labels_join_by_key(scratch, rows):
    "Served rows become an inbox batch the monitoring job validates; labels joined by key become a labelled batch."
    from nbs_lib.config import load_env, products_dir, read_json
    from nbs_lib.ledger import ignored, process_file
    from nbs_lib.serve import join_labels, serving

    objs, want = rows
    inbox = Path(scratch["env"]["monitoring"]["incoming"])
    app = _app(scratch, tap={"enabled": True, "sample": 1.0, "batch_rows": 1000, "batch_seconds": 300})
    with serving(app) as url:
        answers = httpx.post(f"{url}/predict", json=[o | {"key": f"k{i}"} for i, o in enumerate(objs[:50])]).json()
    files = sorted(p for p in inbox.iterdir())  # written at shutdown (batch_seconds not reached)
    assert [a["key"] for a in answers] == [f"k{i}" for i in range(50)]
    assert len(files) == 1 and not ignored(files[0].name)
    contract = read_json(scratch["v1"] / "contract.json")
    thresholds = {"warn_rate": 0.01, "fail_rate": 0.5}
    entry = process_file(files[0], contract, scratch["tmp"] / "intake", thresholds)
    assert (entry["status"], entry["rows_in"], entry["rows_quarantined"], entry["labelled"]) == ("ok", 50, 3, False)
    assert not entry["warnings"]
    labels = scratch["tmp"] / "labels.csv"
    labels.write_text("key,income\n" + "".join(f"k{i},{objs[i]['income']}\n" for i in range(0, 50, 2)) + "zzz,>50K\n")
    j = join_labels(labels, ROOT, scratch["env"])
    assert (j["labels"], j["joined"], j["unmatched"], j["unmatched_keys"]) == (26, 25, 1, ["zzz"])
    lab = process_file(Path(j["batches"][0]), contract, scratch["tmp"] / "intake", thresholds)
    assert (lab["status"], lab["rows_in"], lab["labelled"]) == ("ok", 25, True)
    kept = list(
        csv.DictReader(
            open(next((products_dir(load_env(scratch["env"], ROOT), ROOT) / "serving" / "tap").glob("served-*.csv")))
        )
    )
    assert [float(k["probability"]) for k in kept if k["status"] == "ok"] == [
        float(w["probability"]) for w in want[:50] if w["status"] == "ok"
    ]


def test_run_refuses_clearly_before_serving(scratch, tmp_path):
    "No version behind the alias, or an address in use: one-line errors (the CLI exits 2), nothing served."
    import socket

    from nbs_lib.serve import read_token, run

    empty = tmp_path / "registry"
    env = env_for(tmp_path, registry={"path": str(empty)})
    with pytest.raises(ValueError, match="no version is production in the registry"):
        run(root=ROOT, env_overrides=env)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        with pytest.raises(ValueError, match=f"cannot listen on 127.0.0.1:{busy.getsockname()[1]}"):
            run(port=busy.getsockname()[1], root=ROOT, env_overrides=scratch["env"])
    finally:
        busy.close()
    (tmp_path / "token").write_text("\n")
    with pytest.raises(ValueError, match="token file .*: expected one token"):
        read_token(tmp_path / "token")


def test_shipshape_serve_stops_cleanly_on_sigterm_and_writes_the_taps_waiting_rows(scratch, rows, tmp_path):
    "serve.run in its own process (as `shipshape serve`): SIGTERM finishes, the tap writes what waits, exit code 0."
    import signal

    env = scratch["env"] | {
        "monitoring": {"incoming": str(tmp_path / "inbox")},
        "serve": {"tap": {"enabled": True, "batch_seconds": 3600}},
    }
    code = (
        f"import sys; from nbs_lib.serve import run; sys.exit(run(port=0, root={str(ROOT)!r}, env_overrides={env!r}))"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline()
        url = line.split(" on ")[1].split()[0]
        assert line.startswith("shipshape serve: production = v0001 on http://127.0.0.1:")
        assert httpx.post(f"{url}/predict", json=rows[0][:5]).status_code == 200
        assert not (tmp_path / "inbox").exists()  # waiting: batch_seconds is an hour
        p.send_signal(signal.SIGTERM)
        assert p.wait(60) == 0
    finally:
        if p.poll() is None:
            p.kill()
    files = list((tmp_path / "inbox").iterdir())
    assert len(files) == 1 and len(files[0].read_text().splitlines()) == 6
