"""Column roles, contracts from training rows, unseen-category policies and the standalone scorer's guard (#14),
on the bundled data sets (Adult, Palmer penguins, German credit). Unit level: no pipeline build here."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from nbs_lib.data import load_split, prepare_rows, read_table, split_data
from nbs_lib.settings import load_settings
from nbs_lib.validate import generate_contract, load_contract, profile_contract, required_columns, validate

SEX = {
    "from": "personal_status_sex",
    "map": {"A91": "male", "A92": "female", "A93": "male", "A94": "male", "A95": "female"},
}
ROLES = {  # what each data set adds to its bundled env.dataset.yaml proposal
    "raw": {},
    "german-credit": {
        "derive": {"sex": SEX},
        "sensitive": ["sex", "foreign_worker", "age"],
        "drop": ["personal_status_sex", "foreign_worker"],
    },
    "palmer-penguins": {
        "drop": ["studyName", "Sample Number"],
        "columns": {"Individual ID": "id", "Date Egg": {"role": "datetime", "format": "%Y-%m-%d"}, "Comments": "text"},
    },
}


def bundled(name: str, **more) -> dict:
    "The bundled data set's `dataset:` section (data/<name>/env.dataset.yaml) with its roles, and `more` on top."
    env = load_settings(f"data/{name}/env.dataset.yaml", root=ROOT)
    env["dataset"] |= ROLES[name] | more
    return env


def held_out(env: dict):
    "The held-out rows validated against a contract profiled from the training rows, as the pipeline splits them."
    s = split_data(env, ROOT)
    c = profile_contract(s["train"][0], env)
    return c, validate(s["test"][0], c, s["test"][1])


@pytest.mark.parametrize("name", ["raw", "german-credit", "palmer-penguins"])
def test_held_out_split_passes_with_a_small_quarantine_rate(name):
    "The default unseen policy on a real held-out split: measured, printed, and under validation.fail_rate (5 %)."
    env = bundled(name)
    c, v = held_out(env)
    s = v.summary
    rate = s["rows_quarantined"] / s["rows_in"]
    print(
        f"{name}: held-out quarantine rate {rate:.2%} ({s['rows_quarantined']} of {s['rows_in']}), unlabelled {s['rows_unlabelled']}, "
        f"unseen policy {env['dataset'].get('unseen', 'quarantine')} (default), reasons {s['reasons']}"
    )
    assert rate < 0.05


def test_penguins_ids_dates_and_text_do_not_quarantine_held_out_rows():
    "Declared or profiled, the identifier, the date and the free text quarantine nothing; unlabelled rows are counted apart."
    declared = held_out(bundled("palmer-penguins"))
    profiled = held_out(
        bundled("palmer-penguins", drop=[], columns={})
    )  # nothing configured: profiling finds the roles
    for c, v in [declared, profiled]:
        assert (c["roles"]["Individual ID"], c["roles"]["Date Egg"], c["roles"]["Comments"]) == (
            "id",
            "datetime",
            "text",
        )
        assert v.summary["rows_quarantined"] == 0 and v.summary["rows_unlabelled"] == 2 and len(v.labelled) == 67
    assert set(profiled[0]["inferred"]) == {"Individual ID", "Date Egg", "Comments", "Region", "Stage"}
    # the same contract with every column checked as a category or number, as before roles: most held-out rows quarantined
    s = split_data(bundled("palmer-penguins"), ROOT)
    tr = s["train"][0]
    from nbs_lib.data import profile_types
    from nbs_lib.validate import make_contract

    old = make_contract(tr, profile_types(tr, [c for c in tr.columns if c != "Sex"]), "Sex", ["MALE", "FEMALE"])
    assert validate(s["test"][0], old).summary["rows_quarantined"] / 69 > 0.3


def test_batch_needs_only_the_inputs_and_the_label():
    c, _ = held_out(bundled("palmer-penguins"))
    assert required_columns(c, labelled=False) == [
        "Species",
        "Island",
        "Clutch Completion",
        "Culmen Length (mm)",
        "Culmen Depth (mm)",
        "Flipper Length (mm)",
        "Body Mass (g)",
        "Delta 15 N (o/oo)",
        "Delta 13 C (o/oo)",
    ]
    rows = split_data(bundled("palmer-penguins"), ROOT)["test"][0]
    v = validate(rows[required_columns(c, labelled=True)], c)  # no id, date, text or ignored column
    assert v.summary["rows_in"] == 69 and v.summary["labelled"] and v.summary["rows_quarantined"] == 0
    with pytest.raises(ValueError, match="required columns missing: Island"):
        validate(rows.drop(columns="Island"), c)


def test_contract_is_profiled_from_training_rows_only(tmp_path):
    "`make contract` without a test file profiles the training rows, never the held-out share."
    (tmp_path / "data").symlink_to(ROOT / "data")
    env = bundled("palmer-penguins")
    generate_contract(env, tmp_path)
    c = load_contract(env, tmp_path)[0]
    s = split_data(env, ROOT)
    whole = profile_contract(pd.concat([s["train"][0], s["test"][0]]), env)
    assert (
        c["generated_from"]["rows"] == len(s["train"][0]) == 275
        and c["generated_from"]["held_out"] == "0.2 of the file, seed 42"
    )
    assert c["columns"] == profile_contract(s["train"][0], env)["columns"] != whole["columns"]


def test_german_credit_derived_sex_is_audited_and_coded_categories_are_checked():
    from nbs_lib.data import sensitive_columns
    from nbs_lib.fairness import audit

    env = bundled("german-credit")
    rows, _ = load_split(env, "train", ROOT)
    assert rows["sex"].value_counts().to_dict() == {"male": 690, "female": 310}
    c, v = held_out(env)
    assert (c["roles"]["sex"], c["roles"]["personal_status_sex"], c["roles"]["foreign_worker"]) == (
        "sensitive",
        "ignore",
        "sensitive",
    )
    assert "sex" not in required_columns(c, labelled=True) and "personal_status_sex" not in c["columns"]
    assert (
        c["columns"]["purpose"]["type"] == "categorical" and "A47" not in c["columns"]["purpose"]["categories"]
    )  # documented, never seen
    assert c["columns"]["sex"]["categories"] == ["female", "male"]
    assert sensitive_columns(env, rows.columns) == ["sex", "foreign_worker", "age"]
    test = v.labelled
    a = audit(test, (test["credit_risk"] == "1").to_numpy(), np.linspace(0, 1, len(test)), ["sex"], intersections=False)
    assert {g["group"]: g["n"] for g in a["groups"]} == test["sex"].value_counts().to_dict()
    odd = test.head(4).assign(
        personal_status_sex=["A91", "A99", "A92", "A95"]
    )  # an unknown code derives no sex: missing
    got = validate(prepare_rows(odd.drop(columns="sex"), env["dataset"]), c)
    assert list(got.quarantine.index) == [odd.index[1]] and got.summary["reasons"] == {"sex:missing": 1}


@pytest.mark.parametrize("policy,kept,warned", [("quarantine", False, 0), ("warn", True, 1), ("allow", True, 0)])
def test_unseen_category_policy(policy, kept, warned):
    "German credit's documented but never-seen purpose A47 in a held-out row, under each policy; the transform encodes it as the unknown bucket."
    from nbs_lib.features import fit_transform_spec, transform, unseen_counts

    env = bundled("german-credit", unseen=policy)
    s = split_data(env, ROOT)
    c = profile_contract(s["train"][0], env)
    assert c["columns"]["purpose"]["unseen"] == policy
    rows = s["test"][0].head(20).copy()
    line = rows.index[3]
    rows.loc[line, "purpose"] = "A47"
    v = validate(rows, c)
    assert (line in v.valid.index) == kept and (line in v.quarantine.index) != kept
    assert v.summary["unseen"]["purpose"] == {"policy": policy, "rows": 1, "values": {"A47": 1}}
    assert len(v.warnings) == warned and v.summary["rows_warned"] == warned
    if kept:
        spec = fit_transform_spec(s["train"][0], {"purpose": "categorical", "age": "numeric"})
        block = [i for i, o in enumerate(spec["outputs"]) if o.startswith("purpose=")]
        X = transform(spec, v.valid.loc[[line]])
        assert (
            unseen_counts(spec, v.valid) == {"purpose": 1} and len(block) == 10 and not X[0, block].any()
        )  # all zeros: the unknown bucket


def test_duplicate_header_names_the_repeats_and_shows_the_names_fix(tmp_path):
    text = (ROOT / "data/palmer-penguins/penguins-raw.csv").read_text().splitlines()
    text[0] = text[0].replace("Comments", "Sex")  # the 17th column repeats the 14th's name
    (tmp_path / "p.csv").write_text("\n".join(text) + "\n")
    env = bundled("palmer-penguins", train=str(tmp_path / "p.csv"))
    with pytest.raises(ValueError) as e:
        load_split(env, "train", tmp_path)
    first, *fix = str(e.value).splitlines()
    assert first.startswith("the header row repeats column names: 'Sex' (fields 14 and 17)") and "Culmen" not in first
    assert (
        "    header: false" in fix
        and "    skip_lines: {train: 1, test: 1}   # the header line becomes a skipped line" in fix
    )
    assert (
        "    names: [studyName, Sample Number, …, Sex, …, Sex_2]   # all 17 header names, in order (… elided); repeats renamed"
        in fix
    )


# --- the standalone scorer --------------------------------------------------------------------------------------------

BLOCK = (
    "import sys, runpy; [sys.modules.__setitem__(m, None) for m in ('pandas', 'torch', 'sklearn', 'nbs_lib')]; "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


@pytest.fixture(scope="module")
def adult_bundle(tmp_path_factory):
    "A small real model's bundle with Adult's stored contract, and Adult's raw test file with planted bad rows."
    import torch

    from nbs_lib.bundle import write_bundle
    from nbs_lib.export import export_onnx
    from nbs_lib.features import fit_transform_spec
    from nbs_lib.train import TabularNet

    d = tmp_path_factory.mktemp("bundle")
    env = bundled("raw")
    ds = env["dataset"]
    rows, _ = load_split(env, "test", ROOT)
    rows = rows.head(500)
    spec = fit_transform_spec(rows, {"age": "numeric", "workclass": "categorical", "education-num": "numeric"})
    torch.manual_seed(0)
    net = TabularNet(len(spec["outputs"]), [4])
    b = write_bundle(
        d / "bundle",
        [export_onnx(net, len(spec["outputs"]), d / "model.onnx")],
        spec,
        ds,
        0.5,
        None,
        load_contract(env, ROOT)[0],
    )
    lines = (ROOT / "data/raw/adult.test").read_text().splitlines()
    plant = {
        3: lambda f: f[:1] + ["Space-force"] + f[2:],
        4: lambda f: ["thirty"] + f[1:],
        5: lambda f: ["1e6"] + f[1:],
        6: lambda f: f[:-1] + ["maybe."],
        7: lambda f: f[:-1] + [""],
        8: lambda f: f[:5] + ["Married-on-Mars"] + f[6:],
    }
    for i, f in plant.items():
        lines[i - 1] = ", ".join(f(lines[i - 1].split(", ")))
    lines[9] = "39, State-gov, 77516"  # a broken line (line 10)
    (d / "planted.test").write_text("\n".join(lines) + "\n")
    return {"dir": b, "planted": d / "planted.test", "env": env, "rows": rows, "tmp": d}


def _score(b, *args):
    return subprocess.run(
        [sys.executable, "-c", BLOCK, str(b["dir"] / "score.py"), *map(str, args)], capture_output=True, text=True
    )


def test_scorer_decides_like_the_pipeline_row_by_row(adult_bundle):
    "score.py (numpy + onnxruntime only) on Adult's raw test file with planted rows: the pipeline's validate decides the same, for the same reasons."
    b = adult_bundle
    out = b["tmp"] / "scored.csv"
    r = _score(b, b["planted"], "--format", "training", "--skip-lines", "1", "--out", out)
    assert r.returncode == 0 and r.stderr.startswith("score.py: 16281 rows: "), r.stderr
    mine = pd.read_csv(out, dtype={"reasons": str}, keep_default_na=False).set_index("line")
    ds = b["env"]["dataset"]
    rows, bad = read_table(b["planted"], ds["format"], 1)
    v = validate(prepare_rows(rows, ds), load_contract(b["env"], ROOT)[0], bad)
    assert len(mine) == v.summary["rows_in"] == 16281
    assert mine.index[mine.status == "quarantined"].tolist() == v.quarantine.index.tolist()
    assert (
        {3, 4, 5, 6, 8, 10} <= set(v.quarantine.index) and 7 in v.valid.index and 7 not in v.labelled.index
    )  # line 7: no label
    assert [json.loads(s) for s in mine.loc[v.quarantine.index, "reasons"]] == [
        json.loads(s) for s in v.quarantine["_reasons"]
    ]
    assert json.loads(mine.loc[4, "reasons"]) == [{"column": "age", "rule": "type", "value": "thirty"}]
    assert json.loads(mine.loc[5, "reasons"]) == [{"column": "age", "rule": "range", "value": "1e6"}]
    assert (
        mine.loc[v.quarantine.index, "probability"].eq("").all() and (mine.loc[v.valid.index, "status"] == "ok").all()
    )
    assert mine.model_version.str.fullmatch(r"sha256:[0-9a-f]{12}").all()  # filled without a registry version
    r = _score(
        b, b["planted"], "--format", "training", "--skip-lines", "1", "--strict", "--out", b["tmp"] / "strict.csv"
    )
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and not (b["tmp"] / "strict.csv").exists()
    assert (
        f"refused (--strict): {v.summary['rows_quarantined']} of 16281 rows break the contract; first: line 3: workclass category 'Space-force'"
        in r.stderr
    )


def test_scorer_warns_under_a_warn_policy(adult_bundle, tmp_path):
    "With `unseen: warn` the row is scored (status ok) and its warning is its reason, as validate lists it."
    from nbs_lib.bundle import write_bundle

    b = adult_bundle
    meta = json.loads((b["dir"] / "model.json").read_text())
    c = meta["contract"]
    c["columns"]["workclass"]["unseen"] = "warn"
    d = write_bundle(tmp_path / "w", [b["dir"] / "model.onnx"], meta["transform"], b["env"]["dataset"], 0.5, "v0007", c)
    b2 = {"dir": d}
    (tmp_path / "in.csv").write_text(
        b["rows"].head(3).assign(workclass=["Private", "Space-force", "Private"]).to_csv(index=False)
    )
    r = _score(b2, tmp_path / "in.csv")
    got = pd.read_csv(__import__("io").StringIO(r.stdout), keep_default_na=False)
    assert r.returncode == 0 and got.status.tolist() == ["ok"] * 3 and got.model_version.tolist() == ["v0007"] * 3
    assert json.loads(got.reasons[1]) == [
        {"column": "workclass", "rule": "category", "value": "Space-force", "policy": "warn"}
    ]
    v = validate(b["rows"].head(3).assign(workclass=["Private", "Space-force", "Private"]).set_axis([2, 3, 4]), c)
    assert json.loads(v.warnings.loc[3, "_warnings"]) == json.loads(got.reasons[1])


@pytest.mark.parametrize(
    "case,message",
    [
        ("empty", "empty file: no header row and no rows"),
        ("semicolons", "wrong delimiter: the header is ';'-separated, expected ','"),
        ("missing", "required columns missing: workclass, education (the file has 13: "),
        ("training-semicolons", "wrong delimiter: the first line is ';'-separated, expected ','"),
    ],
)
def test_scorer_refuses_a_bad_file_in_one_line(adult_bundle, tmp_path, case, message):
    rows = adult_bundle["rows"].head(5)
    f = tmp_path / f"{case}.csv"
    args = []
    if case == "empty":
        f.write_text("")
    if case == "semicolons":
        f.write_text(rows.to_csv(sep=";", index=False))
    if case == "missing":
        f.write_text(rows.drop(columns=["workclass", "education"]).to_csv(index=False))
    if case == "training-semicolons":
        f.write_text(rows.to_csv(sep=";", index=False, header=False))
        args = ["--format", "training"]
    r = _score(adult_bundle, f, *args)
    assert (r.returncode, r.stdout, r.stderr.count("\n")) == (1, "", 1), r.stderr
    assert r.stderr.startswith(f"score.py: {f}: {message}") and "Traceback" not in r.stderr
