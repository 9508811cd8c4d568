"""The `shipshape` command as a user and a scheduler meet it: its help, its exit codes, and its refusals."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT

SHIPSHAPE = str(Path(sys.executable).parent / "shipshape")
COMMANDS = [
    "run",
    "status",
    "data-version",
    "monitor",
    "verdict",
    "contract",
    "simulate",
    "list",
    "promote",
    "qualify",
    "rollback",
    "serve",
    "labels",
    "dag",
    "drill",
    "drift-drill",
    "gate",
    "refresh",
    "export",
    "score",
    "lineage",
    "evidence",
]


def shipshape(*args, cwd=ROOT):
    return subprocess.run([SHIPSHAPE, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    "A copy of the project's configuration, notebooks and data: never built."
    p = tmp_path_factory.mktemp("cli") / "project"
    p.mkdir()
    for f in ["env.yaml", "env.test.yaml", "pipeline.yaml", "readiness.yaml", "requirements.lock"]:
        shutil.copy2(ROOT / f, p / f)
    for d in ["notebooks", "data", "contracts"]:
        shutil.copytree(ROOT / d, p / d)
    return p


def test_help_lists_every_subcommand_and_each_documents_its_exit_codes():
    r = shipshape("--help")
    assert r.returncode == 0
    listed = r.stdout.split("positional arguments:")[1]
    assert all(f"    {c} " in listed or f"    {c}\n" in listed for c in COMMANDS)
    from nbs_lib.cli import parser

    subcommands = parser()._subparsers._group_actions[0].choices  # each subcommand's own --help text
    assert sorted(subcommands) == sorted(COMMANDS)
    assert [c for c, p in subcommands.items() if "exit codes:" not in p.format_help()] == []


@pytest.mark.parametrize("version", ["v0001; touch injected", "-h", "../v0001", "production x"])
def test_version_arguments_are_ids_or_aliases_never_options_or_shell(project, version):
    r = shipshape("promote", "--", version, cwd=project)
    assert r.returncode == 2
    assert "is not a version id (like v0001) or an alias" in r.stderr
    assert not (project / "injected").exists()


def test_a_missing_env_file_is_an_error_naming_it(project):
    r = shipshape("status", "--env", "env.nosuch.yaml", cwd=project)
    assert r.returncode == 2
    assert r.stderr.startswith("shipshape status: error:") and "env.nosuch.yaml" in r.stderr


def test_a_configuration_typo_is_an_error_naming_file_line_and_hint(project):
    (project / "env.typo.yaml").write_text("train:\n  mlp:\n    epochs: ten\n")
    r = shipshape("status", "--env", "env.typo.yaml", cwd=project)
    assert r.returncode == 2
    assert "env.typo.yaml:3" in r.stderr and "train.mlp.epochs" in r.stderr


def test_the_gate_without_a_scorecard_exits_3_and_says_how_to_make_one(project):
    r = shipshape("gate", cwd=project)
    assert r.returncode == 3
    assert "no readiness scorecard" in r.stderr and "make run" in r.stderr


def _verdict_file(tmp: Path, shift: float) -> Path:
    "A real drift verdict: Adult's test rows against a profile of its training rows, ages moved by `shift` years."
    from nbs_lib.config import load_env
    from nbs_lib.data import load_split
    from nbs_lib.drift import profile_reference
    from nbs_lib.driftjob import monitor_batch

    env = load_env(root=ROOT)
    train, _ = load_split(env, "train", ROOT)
    test, _ = load_split(env, "test", ROOT)
    cols = ["age", "hours-per-week", "workclass"]
    batch = test.head(3000).copy()
    batch["age"] = (pd.to_numeric(batch["age"]) + shift).astype(int).astype(str)
    report = monitor_batch(batch, profile_reference(train.head(5000)[cols]))
    out = tmp / f"shift-{shift}" / "drift.json"
    out.parent.mkdir(parents=True)
    out.write_text(json.dumps(report, default=str))
    return out


def test_verdict_turns_a_drift_product_into_the_schedulers_exit_code(tmp_path):
    calm, moved = _verdict_file(tmp_path, 0), _verdict_file(tmp_path, 12)
    r = shipshape("verdict", str(calm))
    assert (r.returncode, r.stdout.split(":")[0]) == (0, "OK")
    r = shipshape("verdict", str(moved))
    assert (r.returncode, r.stdout.split(":")[0]) == (1, "ALERT")
    assert "age" in r.stdout
    r = shipshape("verdict", str(tmp_path / "nothing" / "drift.json"))
    assert (r.returncode, r.stdout.split(":")[0]) == (2, "FAILED")


def test_make_passes_command_line_values_as_arguments_never_as_shell(tmp_path):
    "make promote VERSION='v0001; touch x' once ran `touch x`: values reach shipshape as one argument each, and it refuses them."
    hit, hit2 = tmp_path / "injected", tmp_path / "injected2"
    r = subprocess.run(
        ["make", "-s", "promote", f"VERSION=v0001; touch {hit}", f'REASON=x"; touch {hit2}; echo "'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode != 0
    assert "is not a version id (like v0001) or an alias" in r.stderr
    assert not hit.exists() and not hit2.exists()
