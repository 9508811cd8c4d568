"""The batch scorer (nbs_lib.sparkscore) on Spark local[2] and in one process, against the standalone scorer shipped
with the build's production version: the same rows, statuses, reasons, decisions and probabilities, bit for bit."""

import csv
import os
import shutil
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT

pytestmark = pytest.mark.spark

FIELDS = ("line", "status", "probability", "decision", "reasons")


@pytest.fixture(scope="module")
def spark():
    "One Spark session on local[2] for the module, files split into 64 KiB tasks so that a few thousand rows make several."
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("pyspark is missing: `make test` installs the spark extra (pip install -e '.[spark]')")
        pytest.skip("pyspark is not installed (`make test` installs the spark extra)")
    if not shutil.which("java"):
        pytest.fail("Spark needs Java (17): apt-get install -y openjdk-17-jre-headless")
    from nbs_lib.sparkscore import spark_session

    s = spark_session("local[2]", {"spark.sql.files.maxPartitionBytes": "65536"})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def case(built, tmp_path_factory):
    "3,000 rows of Adult's raw test file as an incoming batch, with planted faults, and the version's own score.py on it."
    from nbs_lib.config import load_env

    tmp = tmp_path_factory.mktemp("sparkscore")
    v1 = built["registry"] / "versions" / "v0001"
    names = load_env(built["env"], ROOT)["dataset"]["format"]["names"]
    lines = (ROOT / "data/raw/adult.test").read_text().splitlines()[1:3001]
    lines[1] = "thirty" + lines[1][lines[1].index(",") :]  # line 3 of the file: a type fault
    lines[2] = "1e6" + lines[2][lines[2].index(",") :]  # a range fault
    lines[3] = lines[3].replace("Private", '"Self, with a comma"', 1)  # a quoted unseen category
    lines[5] = "39, State-gov, 77516"  # a malformed line
    lines[8] = ""  # a blank line: skipped, still counted in line numbers
    path = tmp / "batch.csv"
    path.write_text(",".join(names) + "\n" + "\n".join(lines) + "\n")
    out = tmp / "score_py.csv"
    r = subprocess.run(
        [sys.executable, str(v1 / "score.py"), str(path), "--out", str(out)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    with open(out, newline="") as f:
        want = [_typed(row) for row in csv.DictReader(f)]
    return {"tmp": tmp, "v1": v1, "path": path, "want": want, "names": names}


def _typed(r: dict) -> dict:
    "A score.py CSV row with its numbers as numbers (probabilities are written in full: exact)."
    return {
        "line": int(r["line"]),
        "status": r["status"],
        "probability": float(r["probability"]) if r["probability"] else None,
        "decision": int(r["decision"]) if r["decision"] else None,
        "reasons": r["reasons"],
    }


def _rows(folder) -> list[dict]:
    return sorted(pq.read_table(folder).to_pylist(), key=lambda r: r["line"])


def test_spark_local2_scores_a_batch_exactly_as_the_standalone_scorer(spark, case):
    from nbs_lib.sparkscore import score

    s = score(case["path"], case["tmp"] / "spark", case["v1"], engine="spark", spark=spark)
    got = _rows(case["tmp"] / "spark")
    assert s["partitions"] > 1 and s["rows_in"] == len(case["want"]) == 2999
    assert [{k: r[k] for k in FIELDS} for r in got] == case["want"]
    assert {r["model_version"] for r in got} == {"v0001"}
    bad = {r["line"]: r["reasons"] for r in got if r["status"] == "quarantined"}
    assert {3, 4, 5, 7} <= set(bad) and 10 not in {r["line"] for r in got}
    assert '"rule": "malformed"' in bad[7] and '"value": "Self, with a comma"' in bad[5]
    assert (s["rows_quarantined"], s["malformed"]) == (len(bad), 1)


def test_the_local_engine_and_spark_write_the_same_parquet_from_csv_and_from_parquet(spark, case):
    from nbs_lib.sparkscore import score

    tmp = case["tmp"]
    score(case["path"], tmp / "local", case["v1"], chunk_lines=777)
    assert pq.read_table(tmp / "local").schema == pq.read_table(tmp / "spark").schema
    assert _rows(tmp / "local") == _rows(tmp / "spark")
    text = [line.split(",") for line in case["path"].read_text().splitlines()[1:200] if line]
    table = pa.table(
        {n: [t[i].strip() if len(t) == len(case["names"]) else None for t in text] for i, n in enumerate(case["names"])}
    )
    table = table.append_column("id", pa.array([f"r{i}" for i in range(len(text))]))
    pq.write_table(table, tmp / "batch.parquet", row_group_size=50)
    a = score(tmp / "batch.parquet", tmp / "pq-local", case["v1"], key="id")
    b = score(tmp / "batch.parquet", tmp / "pq-spark", case["v1"], engine="spark", key="id", spark=spark)
    assert _rows(tmp / "pq-local") == _rows(tmp / "pq-spark") and a["rows_in"] == b["rows_in"] == len(text)
    assert [r["key"] for r in _rows(tmp / "pq-spark")][:2] == ["r0", "r1"]


def test_a_refused_file_writes_nothing_on_either_engine(spark, case):
    from nbs_lib.bundle import ScoreError
    from nbs_lib.sparkscore import score

    few = case["tmp"] / "few.csv"
    few.write_text("age,workclass\n39,State-gov\n")
    for engine in ("local", "spark"):
        with pytest.raises(ScoreError, match="required columns missing: education"):
            score(few, case["tmp"] / f"few-{engine}", case["v1"], engine=engine, spark=spark)
        assert not (case["tmp"] / f"few-{engine}").exists() and not list(case["tmp"].glob(f".few-{engine}*"))
    with pytest.raises(ValueError, match="exists"):
        score(case["path"], case["tmp"] / "spark", case["v1"], engine="spark", spark=spark)
