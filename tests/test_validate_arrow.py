"""Validation from pandas, from Arrow dictionary columns and from pyarrow's CSV reader: the same decisions (valid rows,
quarantined rows, reasons, line numbers) on the bundled data sets (issue 19). Unit level: no pipeline build."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import ROOT
from nbs_lib.data import read_table, split_data
from nbs_lib.settings import load_settings
from nbs_lib.simulate import inject_faults
from nbs_lib.validate import profile_contract, read_table_arrow, validate

ROLES = {
    "raw": {},
    "german-credit": {
        "derive": {
            "sex": {
                "from": "personal_status_sex",
                "map": {"A91": "male", "A92": "female", "A93": "male", "A94": "male", "A95": "female"},
            }
        },
        "sensitive": ["sex", "foreign_worker", "age"],
        "drop": ["personal_status_sex", "foreign_worker"],
    },
    "palmer-penguins": {
        "drop": ["studyName", "Sample Number"],
        "columns": {"Individual ID": "id", "Date Egg": {"role": "datetime", "format": "%Y-%m-%d"}, "Comments": "text"},
    },
}


def as_text(f: pd.DataFrame) -> list:
    return f.astype(object).where(f.notna(), None).values.tolist()


@pytest.fixture(scope="module", params=list(ROLES))
def batch(request, tmp_path_factory):
    "A held-out batch of a bundled data set with the simulator's faults in ~10 % of rows, written as CSV, and its contract."
    env = load_settings(f"data/{request.param}/env.dataset.yaml", root=ROOT)
    env["dataset"] |= ROLES[request.param]
    s = split_data(env, ROOT)
    c = profile_contract(s["train"][0], env)
    rows = s["test"][0][[col for col in s["test"][0].columns if col in c["roles"]]].reset_index(drop=True)
    rng = np.random.default_rng(7)
    idx = rng.choice(len(rows), max(5, len(rows) // 10), replace=False)
    bad, _ = inject_faults(rows.iloc[idx].reset_index(drop=True), 1.0, c, rng)
    bad = bad[~bad.index.duplicated()]
    rows.loc[idx] = bad.values
    f = tmp_path_factory.mktemp(request.param) / "batch.csv"
    rows.to_csv(f, index=False)
    return request.param, f, c


def same(a, b):
    assert list(a.valid.index) == list(b.valid.index)
    assert list(a.quarantine.index) == list(b.quarantine.index)
    assert a.quarantine["_reasons"].tolist() == b.quarantine["_reasons"].tolist()
    assert a.summary["reasons"] == b.summary["reasons"] and a.summary["checks"] == b.summary["checks"]
    assert a.summary["duplicate_rows"] == b.summary["duplicate_rows"]
    assert as_text(a.valid) == as_text(b.valid)


def test_pandas_arrow_and_csv_reader_decide_alike(batch):
    name, f, c = batch
    rows, mal = read_table(f, {"sep": ","})
    ref = validate(rows, c, mal, engine="rows")  # GX on every row
    assert ref.summary["rows_quarantined"] > 0
    same(validate(rows, c, mal), ref)  # pandas object text
    same(validate(rows.astype("str"), c, mal), ref)  # pandas' Arrow-backed strings
    same(validate(rows.astype("category"), c, mal), ref)  # pandas categories
    table = pa.table({n: pa.array(rows[n].tolist(), pa.string()).dictionary_encode() for n in rows})
    same(validate(table, c, mal, lines=rows.index), ref)  # Arrow dictionary columns
    got, got_mal = read_table_arrow(f, {"sep": ","})
    assert got.dtypes.map(lambda d: isinstance(d, pd.CategoricalDtype)).all(), name  # parsed straight to codes
    assert got_mal.to_dict("records") == mal.to_dict("records")
    same(validate(got, c, got_mal), ref)


def test_csv_reader_quarantines_malformed_lines_with_their_line_numbers(tmp_path, batch):
    _, f, c = batch
    lines = f.read_text().splitlines()
    lines.insert(3, "")  # a blank line: counted, not a row
    lines.insert(5, lines[4] + ",extra")  # line 6: a field too many
    lines.insert(9, ",".join(lines[8].split(",")[:2]))  # line 10: too few fields
    g = tmp_path / "malformed.csv"
    g.write_text("\n".join(lines) + "\n")
    want, want_mal = read_table(g, {"sep": ","})
    got, got_mal = read_table_arrow(g, {"sep": ","})
    assert got_mal.line.tolist() == want_mal.line.tolist() == [6, 10]
    assert got_mal.to_dict("records") == want_mal.to_dict("records")
    assert list(got.index) == list(want.index) and 4 not in got.index
    v = validate(got, c, got_mal)
    q = v.quarantine.loc[[6, 10], "_reasons"].map(json.loads).tolist()
    assert [r[0]["rule"] for r in q] == ["malformed", "malformed"]
    assert v.quarantine["_reasons"].tolist() == validate(want, c, want_mal).quarantine["_reasons"].tolist()


def test_a_bad_value_in_a_dictionary_column_is_quarantined_with_its_reason(batch):
    _, f, c = batch
    rows, _ = read_table(f, {"sep": ","})
    col = next(k for k, s in c["columns"].items() if s["type"] == "categorical" and k in rows)
    rows = rows.head(20).copy()
    rows.loc[rows.index[3], col] = "not-a-category"
    table = pa.table({n: pa.array(rows[n].tolist(), pa.string()).dictionary_encode() for n in rows})
    v = validate(table, c, lines=rows.index)
    reasons = json.loads(v.quarantine.loc[rows.index[3], "_reasons"])
    assert {"column": col, "rule": "category", "value": "not-a-category"} in reasons
    assert rows.index[3] not in v.valid.index


def test_csv_reader_falls_back_where_the_readers_could_differ(tmp_path):
    "A quoted line break: pyarrow would split the record, the Python reader does not; the Python reader decides."
    f = tmp_path / "q.csv"
    f.write_text('a,b\n1,"x\ny"\n2,z\n')
    got, mal = read_table_arrow(f, {"sep": ","})
    want, _ = read_table(f, {"sep": ","})
    assert as_text(got) == as_text(want) == [["1", "x\ny"], ["2", "z"]] and list(got.index) == list(want.index)


def test_csv_reader_falls_back_where_pyarrow_splits_a_line_differently(tmp_path):
    "A quote after the spaces `strip` skips: the Python reader sees one quoted field, pyarrow two; the Python reader decides."
    f = tmp_path / "q.csv"
    f.write_text('a, b\n1, "x,y"\n2, z\n')
    got, mal = read_table_arrow(f, {"sep": ","})
    want, want_mal = read_table(f, {"sep": ","})
    assert as_text(got) == as_text(want) == [["1", "x,y"], ["2", "z"]] and len(mal) == len(want_mal) == 0


def test_csv_reader_leaves_a_file_that_is_not_utf8_to_the_python_reader(tmp_path):
    "pyarrow parses without checking UTF-8 and checks each column's distinct values: bytes that are not UTF-8 fail as `read_table` fails."
    f = tmp_path / "latin1.csv"
    f.write_bytes(b"a,b\n1,x\n2,caf\xe9\n3,z\n")
    with pytest.raises(UnicodeDecodeError):
        read_table(f, {"sep": ","})
    with pytest.raises(UnicodeDecodeError):
        read_table_arrow(f, {"sep": ","})
