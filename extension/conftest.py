"""Fixtures: a Jupyter server with the extension and authentication required, and a real Shipshape project.

The project is a copy of this repository's project files in a temporary folder whose `env.yaml` is the test
env (`env.yaml` + `env.test.yaml`), built once per session by the real pipeline (`shipshape run`: Ploomber +
Papermill), as `make run` does.
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "scripts"))
from testproject import ENV, build, make_project  # noqa: E402

pytest_plugins = ("pytest_jupyter.jupyter_server",)

for k, v in ENV.items():
    os.environ.setdefault(k, v)


@pytest.fixture
def jp_server_config(jp_server_config):
    return {
        "ServerApp": {
            "jpserver_extensions": {"shipshape_lab": True},
            # Test against a server which requires authentication on all endpoints
            "allow_unauthenticated_access": False,
        }
    }


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    "A real Shipshape project built once with the test env (minutes); $SHIPSHAPE_TEST_PROJECT reuses a built one."
    if os.environ.get("SHIPSHAPE_TEST_PROJECT"):
        return Path(os.environ["SHIPSHAPE_TEST_PROJECT"])
    return build(make_project(tmp_path_factory.mktemp("shipshape") / "project"))


@pytest.fixture
def at_project(project, monkeypatch) -> Path:
    "The built project, as the project the test server serves."
    monkeypatch.setenv("SHIPSHAPE_ROOT", str(project))
    return project


@pytest.fixture
def empty_project(tmp_path, monkeypatch) -> Path:
    "A project that was never built: no products at all."
    p = make_project(tmp_path / "fresh")
    monkeypatch.setenv("SHIPSHAPE_ROOT", str(p))
    return p
