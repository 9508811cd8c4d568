"""Shared fixtures: a real pipeline build (Ploomber + Papermill + GX + torch + ONNX Runtime + W&B offline) in a temporary folder."""

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("PLOOMBER_STATS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ["WANDB_MODE"] = os.environ.get("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
# Configured paths must stay inside the project; the tests' products live under the system temp folder, which
# code (never a configuration file) may allow as a second root.
os.environ.setdefault("SHIPSHAPE_ALSO_INSIDE", tempfile.gettempdir())

ROOT = Path(__file__).resolve().parents[1]


def env_for(tmp: Path, **more) -> dict:
    "env.test.yaml's overrides plus products and W&B under `tmp`."
    import yaml

    from nbs_lib.config import deep_merge

    over = yaml.safe_load((ROOT / "env.test.yaml").read_text())
    return deep_merge(
        over,
        {
            "products": str(tmp / "products"),
            "wandb": {"dir": str(tmp)},
            "registry": {"path": str(tmp / "registry")},
            **more,
        },
    )


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    "One test build of the pipeline, and its run record."
    from nbs_lib.pipeline import build

    tmp = tmp_path_factory.mktemp("build")
    rec = build(env_for(tmp), root=ROOT, trigger="pytest")
    from nbs_lib.config import load_env, products_dir, registry_dir

    env = load_env(env_for(tmp), ROOT)  # products and registry live under the data set's name
    return {
        "tmp": tmp,
        "products": products_dir(env, ROOT),
        "registry": registry_dir(env, ROOT),
        "record": rec,
        "env": env_for(tmp),
    }
