"""Configuration is data, never code (issue #20, items 1 and 10): env.yaml and its overrides pass one schema.

Each failure case goes through `config.load_env`, the path every task, job and route loads its configuration with,
on real files in a temporary project. Before the schema, each of them loaded silently (or failed late, unnamed)."""

import inspect
from pathlib import Path

import pytest
import yaml

from nbs_lib.config import deep_merge, load_env
from nbs_lib.settings import Settings, SettingsError, load_settings, settings_schema

ROOT = Path(__file__).resolve().parents[1]

BASE = """\
# a small env.yaml: the bundled Adult files, named explicitly
products: products
dataset:
  name: uci-adult
  train: data/raw/adult.data
  test: data/raw/adult.test
  format:
    header: false
    names: [age, workclass, education, sex, race, income]
  target: income
  positive_label: ">50K"
  drop: [sex, race]
  sensitive: [sex, race, age]
train:
  mlp: {hidden: [8], epochs: 2}
readiness:
  feature_tests: [notebooks/11_features.ipynb]
"""


@pytest.fixture
def proj(tmp_path, monkeypatch):
    "A project root holding BASE as env.yaml, a pipeline.yaml and one library notebook; no folder but it allowed."
    monkeypatch.delenv("SHIPSHAPE_ALSO_INSIDE", raising=False)
    p = tmp_path / "proj"
    (p / "notebooks").mkdir(parents=True)
    (p / "env.yaml").write_text(BASE)
    (p / "pipeline.yaml").write_text("tasks: []\n")
    (p / "notebooks" / "11_features.ipynb").write_text('{"cells": []}')
    return p


def problems(proj, overrides=None, env=None) -> list[str]:
    "The problems `load_env` reports, one line each (env: the text of env.yaml)."
    if env is not None:
        (proj / "env.yaml").write_text(env)
    with pytest.raises(SettingsError) as e:
        load_env(overrides, proj)
    assert str(e.value).count("\n  - ") == len(e.value.problems)  # the message lists every problem
    return [str(p) for p in e.value.problems]


def test_bundled_env_and_test_overrides_validate_and_load_unchanged():
    def raw(f):
        return yaml.safe_load((ROOT / f).read_text())

    assert load_env("env.test.yaml", ROOT) == deep_merge(raw("env.yaml"), raw("env.test.yaml"))
    assert load_settings("env.yaml", root=ROOT) == raw("env.yaml")


def test_the_small_base_loads(proj):
    assert load_env(None, proj)["train"]["mlp"] == {"hidden": [8], "epochs": 2}


def test_unknown_key_is_refused_with_file_line_and_did_you_mean(proj):
    "`dorp:` for `drop:` used to load silently, and the model trained on sex and race."
    got = problems(proj, env=BASE.replace("  drop:", "  dorp:"))
    assert got == ["env.yaml:12: `dataset.dorp` = ['sex', 'race']: unknown key (did you mean `drop`?)"]


def test_unknown_column_is_refused_with_did_you_mean(proj):
    "`drop: [sexx]` used to drop nothing, silently: the model trained on sex."
    got = problems(proj, env=BASE.replace("drop: [sex,", "drop: [sexx,"))
    assert got == [
        "env.yaml:12: `dataset.drop[0]` = 'sexx': no such column in `dataset.format.names` (did you mean `sex`?)"
    ]


def test_wrong_type_names_key_value_override_file_and_line(proj):
    "`epochs: ten` used to fail after 21 s of pipeline, naming no key."
    (proj / "env.bad.yaml").write_text("# planted\ntrain:\n  mlp:\n    epochs: ten\n")
    assert problems(proj, "env.bad.yaml") == [
        "env.bad.yaml:4: `train.mlp.epochs` = 'ten': Input should be a valid integer"
    ]


def test_every_problem_is_listed_not_just_the_first(proj):
    (proj / "env.bad.yaml").write_text(
        "train:\n  seed: 1.5\n  mlp: {hiden: [8], dropout: 1.5}\nwandb: {mode: ofline}\n"
    )
    got = problems(proj, proj / "env.bad.yaml")  # an absolute override path works too
    assert [g.split(": ", 2)[1] for g in got] == [
        "`train.seed` = 1.5",
        "`train.mlp.dropout` = 1.5",
        "`train.mlp.hiden` = [8]",
        "`wandb.mode` = 'ofline'",
    ]
    assert got[2].endswith("(did you mean `hidden`?)") and got[3].endswith("(did you mean `offline`?)")
    assert [g.split(":")[:2] for g in got] == [
        ["env.bad.yaml", "2"],
        ["env.bad.yaml", "3"],
        ["env.bad.yaml", "3"],
        ["env.bad.yaml", "4"],
    ]


@pytest.mark.parametrize("where", ["env.yaml", "env.bad.yaml"])
def test_yaml_syntax_error_names_the_file_and_line(proj, where):
    "A syntax error used to point to `<unicode string>`."
    bad = BASE.replace("  mlp: {hidden: [8], epochs: 2}", "  mlp: {hidden: [8], epochs: 2")
    (proj / where).write_text(bad)
    (got,) = problems(proj, "env.bad.yaml" if where != "env.yaml" else None)
    assert got.startswith(f"{where}:16: YAML syntax error") and "<unicode string>" not in got


def test_duplicate_key_is_refused(proj):
    "YAML keeps the last of two equal keys without a word; the first `train:` section was silently ignored."
    (got,) = problems(proj, env=BASE + "train:\n  seed: 7\n")
    assert got == "env.yaml:18: `train`: duplicate key (first at line 14); YAML would silently keep only the last one"


def test_missing_override_file_is_named(proj):
    (got,) = problems(proj, "env.nope.yaml")
    assert got.startswith("env.nope.yaml: cannot read the file")


@pytest.mark.parametrize(
    "text, where",
    [
        (
            "dataset:\n  name: \"{{ cycler.__init__.__globals__.os.popen('touch pwned').read() }}\"\n",
            "2: `dataset.name`",
        ),
        (
            "dataset:\n  format:\n    na_values: ['?', '{% for x in range(9**9) %}{% endfor %}']\n",
            "3: `dataset.format.na_values[1]`",
        ),
        ("data_version: '{{ data_version }}'\n", "1: `data_version`"),
    ],
)
def test_template_syntax_is_refused(proj, text, where):
    "Ploomber renders env values as unsandboxed Jinja: a value like the first used to run a shell command."
    (proj / "env.bad.yaml").write_text(text)
    (got,) = problems(proj, "env.bad.yaml")
    assert got.startswith(f"env.bad.yaml:{where} = ")
    assert got.endswith("configuration is data: template syntax (`{{` or `{%`) is not allowed")
    assert not (proj / "pwned").exists()


PATH_KEYS = {
    "products": "products: {}\n",
    "registry.path": "registry: {{path: {}}}\n",
    "wandb.dir": "wandb: {{dir: {}}}\n",
    "monitoring.incoming": "monitoring: {{incoming: {}}}\n",
    "dataset.train": "dataset: {{train: {}}}\n",
    "dataset.test": "dataset: {{test: {}}}\n",
    "airflow.shared": "airflow: {{shared: {}}}\n",
}


@pytest.mark.parametrize("key", PATH_KEYS)
@pytest.mark.parametrize("value", ["/abs/elsewhere", "../x", "escape/products"])
def test_configured_paths_must_stay_inside_the_project(proj, key, value):
    "`products: /abs/path` used to write products outside the project; a symbolic link out of it counts as outside."
    (proj / "escape").symlink_to(proj.parent)
    (proj / "env.bad.yaml").write_text(PATH_KEYS[key].format(value))
    (got,) = problems(proj, "env.bad.yaml")
    assert got.startswith(f"env.bad.yaml:1: `{key}` = {value!r}: resolves to") and "outside the project root" in got


def test_paths_inside_the_project_are_fine_even_absolute(proj):
    env = load_env({"products": str(proj / "out"), "registry": {"path": "models/reg"}, "wandb": {"dir": "."}}, proj)
    assert env["products"] == str(proj / "out")


def test_code_may_allow_one_more_folder_a_file_cannot(proj, tmp_path, monkeypatch):
    over = {"products": str(tmp_path / "elsewhere")}
    assert "outside the project root" in problems(proj, over)[0]
    monkeypatch.setenv("SHIPSHAPE_ALSO_INSIDE", str(tmp_path))
    assert load_env(over, proj)["products"] == str(tmp_path / "elsewhere")


@pytest.mark.parametrize(
    "nb",
    [
        "notebooks/_pipeline/train.ipynb",
        "../x/11_features.ipynb",
        "notebooks/11_feature.ipynb",
        "/etc/11_passwd.ipynb",
        "notebooks/11_features.py",
        "notebooks/12_link.ipynb",
    ],
)
def test_feature_tests_name_only_existing_library_notebooks(proj, nb):
    "`readiness.feature_tests` used to run any notebook the env file named."
    (proj / "notebooks" / "12_link.ipynb").symlink_to(proj.parent / "outside.ipynb")
    (proj.parent / "outside.ipynb").write_text("{}")
    (got,) = problems(proj, {"readiness": {"feature_tests": ["notebooks/11_features.ipynb", nb]}})
    assert got.startswith(f"<overrides>: `readiness.feature_tests[1]` = {nb!r}: ")
    if nb == "notebooks/11_feature.ipynb":
        assert got.endswith("(did you mean `notebooks/11_features.ipynb`?)")


def test_a_header_less_file_needs_unique_names(proj):
    got = problems(proj, env=BASE.replace("education, sex", "education, age"))
    assert (
        got[0]
        == "env.yaml:9: `dataset.format.names` = ['age']: repeated column names: age; give each column its own name"
    )
    got = problems(proj, env=BASE.replace("    names: [age, workclass, education, sex, race, income]\n", ""))
    assert got == [
        "env.yaml:8: `dataset.format.header` = False: a file without a header row needs `dataset.format.names`"
    ]


ROLES = """dataset:
  columns:
    customer_id: id
    signup: {role: datetime, format: "%Y-%m-%d"}
    city: {role: feature, type: categorical, unseen: allow}
  unseen: warn
  datetime_format: "%d/%m/%Y"
  derive:
    sex: {from: personal_status, map: {A91: male, A92: female, 3: other}, default: null}
"""


def test_dataset_column_roles_and_derived_attributes_have_a_shape(proj):
    "Issue #14's `dataset:` shapes: accepted, normalised, and their mistakes named."
    names = "names: [customer_id, signup, city, personal_status, age, workclass, education, sex, race, income]"
    env = BASE.replace("names: [age, workclass, education, sex, race, income]", names)
    (proj / "env.yaml").write_text(env)
    (proj / "env.roles.yaml").write_text(ROLES)
    ds = load_env("env.roles.yaml", proj)
    assert (
        ds["dataset"]["columns"]["customer_id"] == {"role": "id"}
        and ds["dataset"]["derive"]["sex"]["map"][3] == "other"
    )
    (proj / "env.roles.yaml").write_text(
        ROLES.replace("customer_id: id", "customer_id: identifier")
        .replace("{from: personal_status", "{from: personal_stat")
        .replace("type: categorical, unseen", "type: categorical, unsen")
    )
    got = problems(proj, "env.roles.yaml")
    assert got[0].startswith(
        "env.roles.yaml:3: `dataset.columns.customer_id` = 'identifier': Input should be 'feature'"
    )
    assert got[1] == "env.roles.yaml:5: `dataset.columns.city.unsen` = 'allow': unknown key (did you mean `unseen`?)"
    assert got[2] == (
        "env.roles.yaml:9: `dataset.derive.sex.from` = 'personal_stat': no such column in "
        "`dataset.format.names` (did you mean `personal_status`?)"
    )
    (proj / "env.roles.yaml").write_text(ROLES.replace("role: datetime, format", "role: text, format"))
    assert problems(proj, "env.roles.yaml")[0].endswith("`format` applies to datetime columns only, not to role text")


def test_schema_defaults_are_the_library_defaults(tmp_path):
    "Each default the library falls back on is the schema's default (so the documentation cannot drift from the code)."
    from nbs_lib import data, drift, fairness, train

    d = Settings.model_construct()  # every section at its defaults, no validation needed

    def sig(f):
        return {
            k: p.default for k, p in inspect.signature(f).parameters.items() if p.default is not inspect.Parameter.empty
        }

    mlp, base = sig(train.train_mlp), sig(train.fit_baseline)
    assert {k: getattr(d.train.mlp, k) for k in ("epochs", "batch_size", "lr", "weight_decay", "dropout")} == {
        k: mlp[k] for k in ("epochs", "batch_size", "lr", "weight_decay", "dropout")
    } and list(mlp["hidden"]) == d.train.mlp.hidden
    assert (d.train.baseline.C, d.train.baseline.max_iter, d.train.seed) == (base["C"], base["max_iter"], base["seed"])
    det = sig(drift.detect_drift)
    assert {
        k: getattr(d.drift, k) for k in ("alpha", "min_rows", "small_sample", "psi_bins", "min_columns", "drift_share")
    } == {k: det[k] for k in ("alpha", "min_rows", "small_sample", "psi_bins", "min_columns", "drift_share")}
    cd = sig(drift.concept_drift)
    assert (
        tuple(d.drift.concept.metrics),
        d.drift.concept.threshold,
        d.drift.concept.max_drop,
        d.drift.concept.confidence,
        d.drift.concept.min_rows,
    ) == (tuple(cd["metrics"]), cd["threshold"], cd["max_drop"], cd["confidence"], cd["min_rows"])
    assert d.readiness.fairness.model_dump() == fairness.POLICY | {"intersections": True}
    fmt = Settings.model_fields["dataset"].annotation.model_fields["format"].default.model_dump()
    (tmp_path / "t.csv").write_bytes(
        "\ufeffa, b\n1, é\n".encode("utf-8")
    )  # a header, a BOM, spaces after the separator
    assert [t.to_dict() for t in data.read_table(tmp_path / "t.csv", fmt)] == [
        t.to_dict() for t in data.read_table(tmp_path / "t.csv", {})
    ]
    try:
        from nbs_lib.rubric import DEFAULT_POLICY
    except ImportError:
        from nbs_lib.readiness import DEFAULT_POLICY
    r = d.readiness.model_dump()
    assert {k: r[k] for k in DEFAULT_POLICY} == DEFAULT_POLICY


def test_json_schema_documents_every_section():
    s = settings_schema()
    assert s["required"] == ["dataset"] and s["additionalProperties"] is False
    assert set(s["properties"]) == {
        "products",
        "data_version",
        "contract_version",
        "dataset",
        "validation",
        "train",
        "evaluate",
        "export",
        "monitoring",
        "drift",
        "registry",
        "wandb",
        "readiness",
        "airflow",
        "serve",
        "spark",
    }
    assert s["$defs"]["MLP"]["properties"]["epochs"] == {
        "default": 15,
        "minimum": 1,
        "title": "Epochs",
        "type": "integer",
    }


def test_an_override_with_another_data_set_replaces_the_dataset_section():
    "Switching data sets by an override file: nothing of Adult's dataset: (bins, drop, skip_lines) leaks into German credit."
    german = yaml.safe_load((ROOT / "data/german-credit/env.dataset.yaml").read_text())
    env = load_env(german, root=ROOT)
    assert env["dataset"] == load_settings(german, root=ROOT)["dataset"]
    assert env["dataset"]["slice_bins"] == german["dataset"]["slice_bins"] and "fnlwgt" not in env["dataset"]["drop"]
    assert (
        load_env({"dataset": {"sample_fraction": 0.5}}, root=ROOT)["dataset"]["target"] == "income"
    )  # same data set: merged
