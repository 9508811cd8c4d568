"""Fixtures: a Jupyter server with the extension and authentication required, and a real Shipshape project.

The project is a copy of this repository's project files in a temporary folder whose `env.yaml` is the test
env (`env.yaml` + `env.test.yaml`), built once per session by the real pipeline (Ploomber + Papermill).
"""
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

pytest_plugins = ("pytest_jupyter.jupyter_server",)

for k, v in {"PLOOMBER_STATS_ENABLED": "false", "GX_ANALYTICS_ENABLED": "false", "WANDB_MODE": "offline",
             "WANDB_SILENT": "true"}.items():
    os.environ.setdefault(k, v)

REPO = Path(__file__).resolve().parents[1]           # the Shipshape project this extension lives in
DIRS = ["notebooks", "data/raw", "contracts"]                # what a pipeline build reads, besides top-level config files


@pytest.fixture
def jp_server_config(jp_server_config):
    return {
        "ServerApp": {
            "jpserver_extensions": {"shipshape_lab": True},
            # Test against a server which requires authentication on all endpoints
            "allow_unauthenticated_access": False,
        }
    }


def make_project(dest: Path) -> Path:
    "A copy of the repository's project files in `dest`, with the test env as its `env.yaml`."
    from nbs_lib.config import deep_merge
    dest.mkdir(parents=True, exist_ok=True)
    for f in [*REPO.glob("*.yaml"), *REPO.glob("*.lock"), *REPO.glob("*.ini")]:
        shutil.copy2(f, dest/f.name)
    for d in DIRS:
        if (REPO/d).is_dir():
            shutil.copytree(REPO/d, dest/d, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    env = deep_merge(yaml.safe_load((REPO/"env.yaml").read_text()), yaml.safe_load((REPO/"env.test.yaml").read_text()))
    (dest/"env.yaml").write_text("# env.yaml + env.test.yaml, for the extension's tests\n" + yaml.safe_dump(env, sort_keys=False))
    return dest


def build(project: Path, *args: str) -> subprocess.CompletedProcess:
    "Build the project's pipeline with the command line, as `make run` does."
    r = subprocess.run([sys.executable, "-m", "nbs_lib.pipeline", "build", "--trigger", "make run", *args], cwd=project,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r


def scorecard(project: Path) -> None:
    "Make the readiness scorecard from the built evidence, when the pipeline did not."
    if (project/"products"/"readiness"/"scorecard.json").exists(): return
    r = subprocess.run([sys.executable, "-m", "nbs_lib.readiness", "refresh"], cwd=project, capture_output=True, text=True,
                       timeout=600)
    if r.returncode: warnings.warn(f"no readiness scorecard: `python -m nbs_lib.readiness refresh` failed: {r.stderr[-1500:]}")


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    "A real Shipshape project built once with the test env (about a minute); $SHIPSHAPE_TEST_PROJECT reuses a built one."
    if os.environ.get("SHIPSHAPE_TEST_PROJECT"): return Path(os.environ["SHIPSHAPE_TEST_PROJECT"])
    p = make_project(tmp_path_factory.mktemp("shipshape")/"project")
    build(p)
    scorecard(p)
    return p


@pytest.fixture
def at_project(project, monkeypatch) -> Path:
    "The built project, as the project the test server serves."
    monkeypatch.setenv("SHIPSHAPE_ROOT", str(project))
    return project


@pytest.fixture
def empty_project(tmp_path, monkeypatch) -> Path:
    "A project that was never built: no products at all."
    p = make_project(tmp_path/"fresh")
    monkeypatch.setenv("SHIPSHAPE_ROOT", str(p))
    return p
