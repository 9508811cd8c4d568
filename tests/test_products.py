"""Typed products (nbs_lib.products): real recorded products validate, planted breaks fail naming the file and the field,
writes are validated and atomic, and the committed JSON Schema and TypeScript types are current."""

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nbs_lib import products as P
from nbs_lib.config import write_json

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "products"
EXT = ROOT / "extension"
SCHEMA, TYPES = EXT / "schema" / "products.schema.json", EXT / "src" / "products.ts"

VALID = [
    ("validation", "validation.json"),
    ("search", "search.json"),
    ("metrics", "metrics.json"),
    ("export", "export.json"),
    ("registry", "registry.json"),
    ("canary", "canary.json"),
    ("ledger", "ledger.jsonl"),
    ("run", "run-pipeline.json"),
    ("run", "run-monitor.json"),
    ("drift", "drift.json"),
    ("drift-latest", "latest.json"),
    ("scorecard", "scorecard.json"),
]


def load(name):
    text = (FIX / name).read_text()
    return [json.loads(line) for line in text.splitlines()] if name.endswith(".jsonl") else json.loads(text)


@pytest.mark.parametrize("kind,name", VALID, ids=[n for _, n in VALID])
def test_recorded_products_validate(kind, name):
    data = P.read_product(kind, FIX / name)
    assert data == load(name)


def test_every_product_kind_has_a_recorded_fixture():
    assert sorted({k for k, _ in VALID}) == sorted(P.PRODUCTS)


def _del(*path):
    def f(d):
        for k in path[:-1]:
            d = d[k]
        del d[path[-1]]

    return f


def _set(value, *path):
    def f(d):
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value

    return f


BREAKS = [
    (
        "validation",
        "validation.json",
        _set(4069, "test", "rows_valid"),
        "test: rows_in 4070 is not rows_valid 4069 + rows_quarantined 0",
    ),
    ("metrics", "metrics.json", _del("candidates", "mlp", "valid"), "candidates.mlp.valid: field required"),
    (
        "metrics",
        "metrics.json",
        _set("0.8959", "test", "roc_auc"),
        "test.roc_auc: input should be a valid number, got '0.8959'",
    ),
    (
        "export",
        "export.json",
        _del("targets", "onnx-fp32", "parity", "max_abs_diff"),
        "targets.onnx-fp32.parity.max_abs_diff: field required",
    ),
    (
        "export",
        "export.json",
        _del("targets", "tensorrt-fp16", "reason"),
        "targets.tensorrt-fp16.reason: field required",
    ),
    (
        "export",
        "export.json",
        _set("done", "targets", "onnx-int8", "status"),
        "targets.onnx-int8: input tag 'done' found using 'status' does not match",
    ),
    (
        "registry",
        "registry.json",
        _set("v0002", "aliases", "candidate"),
        "aliases name unregistered versions: candidate -> v0002",
    ),
    ("registry", "registry.json", _del("history", 1, "at"), "history[1].at: field required"),
    ("canary", "canary.json", _set(None, "passed"), "status 'fail' needs passed false, not null"),
    ("run", "run-monitor.json", _set("ok", "outcome"), "a finished run's outcome is its status ('alert'), not 'ok'"),
    (
        "run",
        "run-pipeline.json",
        _set("yes", "tasks", 2, "ran"),
        "tasks[2].ran: input should be a valid boolean, got 'yes'",
    ),
    (
        "drift",
        "drift.json",
        _del("columns", "workclass", "histogram", "current"),
        "columns.workclass.histogram.current: field required",
    ),
    (
        "drift",
        "drift.json",
        _set("1", "alert", "signals", "data"),
        "alert.signals.data: input should be a valid boolean, got '1'",
    ),
    ("drift-latest", "latest.json", _set("2026-12-01", "checked_at"), "checked_at: string should match pattern"),
    (
        "drift-latest",
        "latest.json",
        _set("pending", "health", "status"),
        "health.status: input should be 'ok', 'rejected', 'quarantined', 'duplicate' or 'retrain'",
    ),
    (
        "scorecard",
        "scorecard.json",
        _set("maybe", "scores", "gate", "decision"),
        "scores.gate.decision: input should be 'go', 'no-go' or 'needs-review', got 'maybe'",
    ),
    (
        "scorecard",
        "scorecard.json",
        lambda d: d["items"][0].update(status="n/a", reason=None),
        "items[0]: D1 is n/a without a reason",
    ),
    (
        "scorecard",
        "scorecard.json",
        lambda d: d["items"][0].update(status="n/a", reason="no production model yet"),
        "items[0]: D1 is n/a but earns credit 1.0",
    ),
]


@pytest.mark.parametrize("kind,name,plant,message", BREAKS, ids=[f"{k}:{m.split(':')[0]}" for k, _, _, m in BREAKS])
def test_planted_break_names_the_file_and_field(tmp_path, kind, name, plant, message):
    data = load(name)
    plant(data)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    with pytest.raises(P.ProductError) as e:
        P.read_product(kind, path)
    assert str(e.value).startswith(f"{path}: ") and message in str(e.value)


def test_ledger_errors_name_the_line(tmp_path):
    lines = load("ledger.jsonl")
    lines[1]["rows_quarantined"] = 34
    path = tmp_path / "ledger.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(
        P.ProductError, match=re.escape(f"{path}:2: rows_in 5266 is not rows_valid 5231 + rows_quarantined 34")
    ):
        P.read_product("ledger", path)


@pytest.mark.parametrize(
    "kind,name,message",
    [
        ("export", "export.today.json", "targets: input should be an object, got list"),
        ("run", "run-pipeline.today.json", "a finished run's outcome is its status ('ok'), not None"),
        ("run", "run-monitor.today.json", "a finished run's outcome is its status ('failed'), not None"),
        ("canary", "canary.today.json", "status: field required"),
    ],
)
def test_todays_shapes_are_refused(kind, name, message):
    "Shapes the writers still write today but the plan replaces: targets by position, no outcome, a first-version 'pass'."
    with pytest.raises(P.ProductError, match=re.escape(message)):
        P.read_product(kind, FIX / name)


def test_extra_fields_are_allowed_and_kept():
    x = load("export.json")
    x["cost_per_1k_rows"] = 0.01
    x["targets"]["onnx-fp32"]["parity"]["p999"] = 1e-7
    x["targets"]["onnx-int8"]["calibration"] = {"rows": 5}
    out = P.validate_product("export", x)
    assert out["cost_per_1k_rows"] == 0.01 and out["targets"]["onnx-int8"]["calibration"] == {"rows": 5}


def test_write_product_writes_what_config_write_json_writes(tmp_path):
    "Switching a writer from write_json to write_product changes nothing on disk."
    for kind, name in VALID:
        if name.endswith(".jsonl"):
            continue
        a, b = P.write_product(kind, tmp_path / f"a-{name}", load(name)), write_json(tmp_path / f"b-{name}", load(name))
        assert a.read_bytes() == b.read_bytes(), name


def test_write_product_writes_numpy_numbers_as_numbers(tmp_path):
    v = load("validation.json")
    v["train"] |= {"rows_in": np.int64(8140), "rows_valid": np.int64(8140), "labelled": np.bool_(True)}
    v["quarantine_rate"]["train"] = np.float32(0.0)
    back = P.read_product("validation", P.write_product("validation", tmp_path / "v.json", v))
    assert back["train"]["rows_in"] == 8140 and back["train"]["labelled"] is True
    # config.write_json writes a numpy integer as text: the typed reader refuses that file
    with pytest.raises(P.ProductError, match=re.escape("train.rows_in: input should be a valid integer, got '8140'")):
        P.read_product("validation", write_json(tmp_path / "w.json", v))


def test_invalid_write_leaves_the_old_file(tmp_path):
    path = P.write_product("metrics", tmp_path / "metrics.json", load("metrics.json"))
    before = path.read_bytes()
    with pytest.raises(P.ProductError, match=re.escape(f"{path}: chosen 'forest' is not a candidate (baseline, mlp)")):
        P.write_product("metrics", path, load("metrics.json") | {"chosen": "forest"})
    with pytest.raises(P.ProductError, match="cannot be written as JSON"):
        P.write_product("metrics", path, load("metrics.json") | {"fitted": object()})
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["metrics.json"]


def test_a_crash_mid_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = P.write_product("registry", tmp_path / "registry.json", load("registry.json"))
    before = path.read_bytes()

    def killed(*a):
        raise KeyboardInterrupt("killed before the rename")

    monkeypatch.setattr(P.os, "replace", killed)
    new = load("registry.json")
    new["history"].append({"action": "rollback", "version": "v0001", "at": "2026-12-02T00:00:00+00:00"})
    with pytest.raises(KeyboardInterrupt):
        P.write_product("registry", path, new)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["registry.json"]


def test_append_product_checks_the_new_line_and_keeps_the_old_ones(tmp_path):
    path = tmp_path / "ledger.jsonl"
    old = '{"legacy": "a line written before the schema existed"}\n'
    path.write_text(old)
    entry = load("ledger.jsonl")[0]
    P.append_product("ledger", path, entry)
    assert path.read_text() == old + json.dumps(entry, sort_keys=True) + "\n"
    with pytest.raises(
        P.ProductError,
        match=re.escape(
            f"{path}:3: status: input should be 'ok', 'rejected', 'quarantined', 'duplicate' or 'retrain', got 'skipped'"
        ),
    ):
        P.append_product("ledger", path, entry | {"status": "skipped"})
    with pytest.raises(P.ProductError) as e:
        P.read_product("ledger", path)
    assert str(e.value).startswith(f"{path}:1: ") and "; file: field required;" in str(e.value)
    with pytest.raises(ValueError, match="'metrics' is not a JSON Lines product"):
        P.append_product("metrics", tmp_path / "m.json", load("metrics.json"))


def test_missing_and_malformed_files_are_named(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=re.escape("the monitoring/latest.json product, written by the monitoring job")
    ):
        P.read_product("drift-latest", tmp_path / "latest.json")
    (tmp_path / "scorecard.json").write_text('{"items": [')
    with pytest.raises(P.ProductError, match=re.escape(f"{tmp_path / 'scorecard.json'}: not valid JSON")):
        P.read_product("scorecard", tmp_path / "scorecard.json")
    with pytest.raises(ValueError, match="unknown product kind 'score-card'"):
        P.read_product("score-card", tmp_path / "scorecard.json")


def test_outcomes_and_exit_codes():
    assert [P.exit_code(o) for o in ("ok", "alert", "failed")] == [0, 1, 2]
    assert (
        P.worst_outcome("ok", "ok") == "ok"
        and P.worst_outcome("ok", "alert") == "alert"
        and P.worst_outcome("alert", "failed", "ok") == "failed"
    )
    with pytest.raises(ValueError, match="unknown outcome 'error'"):
        P.worst_outcome("ok", "error")
    assert P.READINESS_STATUSES == ("pass", "fail", "warn", "unknown", "manual", "n/a")


def _schema_text() -> str:
    return json.dumps(P.json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_committed_schema_is_current(tmp_path):
    "extension/schema/products.schema.json is what nbs_lib.products emits now (regenerate: cd extension && jlpm gen:types)."
    assert SCHEMA.read_text() == P.write_schema(tmp_path / "s.json").read_text() == _schema_text()


def test_committed_types_come_from_the_committed_schema():
    "src/products.ts records the sha256 of the schema it was generated from."
    banner = re.search(r"Schema sha256: ([0-9a-f]{64})", TYPES.read_text())
    assert banner and banner.group(1) == hashlib.sha256(SCHEMA.read_bytes()).hexdigest()


@pytest.mark.skipif(
    not shutil.which("node") or not (EXT / "node_modules" / "json-schema-to-typescript").exists(),
    reason="needs Node and the extension's node_modules (jlpm install in extension/)",
)
def test_types_regenerate_identically(tmp_path):
    out = tmp_path / "products.ts"
    subprocess.run(
        ["node", "scripts/gen-types.mjs", "--from-schema", "--out", str(out)], cwd=EXT, check=True, capture_output=True
    )
    assert out.read_text() == TYPES.read_text()


PENDING = {}  # products whose writers do not write the plan's shape yet: strict xfail, so adopting it makes this test say so
BUILT = [
    ("validation", "02_validated/validation.json"),
    ("search", "04_models/search.json"),
    ("metrics", "05_evaluation/metrics.json"),
    ("export", "06_export/export.json"),
    ("canary", "08_register/canary.json"),
    ("scorecard", "readiness/scorecard.json"),
    ("registry", "registry.json"),  # in the data set's registry folder
]


@pytest.mark.parametrize(
    "kind,rel",
    [
        pytest.param(k, r, marks=pytest.mark.xfail(reason=PENDING[k], strict=True, raises=P.ProductError))
        if k in PENDING
        else (k, r)
        for k, r in BUILT
    ],
    ids=[k for k, _ in BUILT],
)
def test_products_of_the_test_build_validate(built, kind, rel):
    "What today's writers write in the session's test build."
    P.read_product(kind, built["registry" if kind == "registry" else "products"] / rel)


def test_run_records_of_the_test_build_validate(built):
    "Every run record in the session's test build (its own, and any a later test added) is a valid run record."
    ids = [P.read_product("run", p)["id"] for p in (built["products"] / "runs").glob("*.json")]
    assert built["record"]["id"] in ids
