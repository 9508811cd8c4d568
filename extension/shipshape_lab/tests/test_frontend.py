"""The frontend's jest unit tests (rendering and error paths), run from pytest so they count with the rest."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

EXT = Path(__file__).resolve().parents[2]


def test_jest_unit_tests_pass():
    jlpm = shutil.which("jlpm", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    assert jlpm, "jlpm not found (it ships with jupyterlab)"
    assert (EXT / "node_modules").is_dir(), "run `jlpm install` in extension/ first (make test does)"
    r = subprocess.run(
        [jlpm, "test"],
        cwd=EXT,
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"CI": "true", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"},
    )
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert "Tests:" in out and "failed" not in out.split("Tests:")[-1].splitlines()[0], out[-2000:]
