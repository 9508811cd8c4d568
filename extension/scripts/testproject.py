"""A real Shipshape project for the extension's tests, fixtures and benchmark, and a real Jupyter server on it.

- `make_project(dest)`: a copy of this repository's project files, with the test env (`env.yaml` + `env.test.yaml`)
  as its `env.yaml`;
- `build(project)`: the real pipeline through the `shipshape` command, as `make run` does;
- `jupyter(root_dir)`: a token-protected `jupyter lab` (or `jupyter server`) with the extension, stopped by its
  process id when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]  # the Shipshape repository
DIRS = ["notebooks", "data/raw", "contracts"]  # what a pipeline build reads, besides the top-level config files
ENV = {
    "PLOOMBER_STATS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "WANDB_MODE": "offline",
    "WANDB_SILENT": "true",
}


def shipshape_command() -> str:
    "The `shipshape` console script beside this Python."
    return str(Path(sys.executable).parent / "shipshape")


def make_project(dest: Path) -> Path:
    "A copy of the repository's project files in `dest`, with the test env as its `env.yaml`."
    from nbs_lib.config import deep_merge

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for f in [*REPO.glob("*.yaml"), *REPO.glob("*.lock"), *REPO.glob("*.ini")]:
        shutil.copy2(f, dest / f.name)
    for d in DIRS:
        if (REPO / d).is_dir():
            shutil.copytree(REPO / d, dest / d, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    env = deep_merge(
        yaml.safe_load((REPO / "env.yaml").read_text()), yaml.safe_load((REPO / "env.test.yaml").read_text())
    )
    (dest / "env.yaml").write_text(
        "# env.yaml + env.test.yaml, for the extension's tests\n" + yaml.safe_dump(env, sort_keys=False)
    )
    return dest


def shipshape(project: Path, *args: str, timeout: int = 900, check: bool = True) -> subprocess.CompletedProcess:
    "Run `shipshape ARGS` in the project, as a person (or `make`) would."
    r = subprocess.run(
        [shipshape_command(), *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ | ENV,
    )
    if check and r.returncode != 0:
        raise AssertionError(
            f"shipshape {' '.join(args)} exited {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        )
    return r


def build(project: Path) -> Path:
    "Build the project's pipeline as `make run` does; make the readiness scorecard if the build did not."
    shipshape(project, "run", "--trigger", "make run")
    if not (project / "products" / "uci-adult" / "readiness" / "scorecard.json").exists():
        shipshape(project, "refresh")
    return project


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter(root_dir: Path, work: Path, lab: bool = True, env: dict | None = None):
    "A token-protected `jupyter lab` (or `jupyter server`) serving `root_dir` with the extension (enabled by its install): yields url, token, log."
    port, token, work = free_port(), secrets.token_hex(16), Path(work)
    news = work / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text('{"fetchNews": "false"}')  # no "get Jupyter news?" toast in the screenshots
    args = [sys.executable, "-m", "jupyterlab" if lab else "jupyter_server", "--no-browser", "--ip=127.0.0.1"]
    args += [f"--port={port}", f"--ServerApp.token={token}", "--allow-root", f"--ServerApp.root_dir={root_dir}"]
    if lab:
        args += [f"--LabApp.user_settings_dir={work / 'settings'}", f"--LabApp.workspaces_dir={work / 'workspaces'}"]
    log_path = work / "jupyter.log"
    base = {k: v for k, v in os.environ.items() if k != "SHIPSHAPE_ROOT"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(args, cwd=root_dir, stdout=log, stderr=subprocess.STDOUT, env=base | ENV | (env or {}))
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(240):
                try:
                    urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None:
                        raise AssertionError(
                            f"jupyter exited {proc.returncode}: {log_path.read_text()[-3000:]}"
                        ) from None
                    time.sleep(0.5)
            else:
                raise AssertionError(f"jupyter did not start: {log_path.read_text()[-3000:]}")
            yield {"url": url, "token": token, "log": log_path, "pid": proc.pid}
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def request(server: dict, route: str, body=None, method: str | None = None) -> tuple[int, dict]:
    "(status, JSON answer) of a `/shipshape/` route of a `jupyter` server; errors are answers too."
    import json
    import urllib.error

    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{server['url']}/shipshape/{route}",
        data=data,
        method=method or ("POST" if body is not None else "GET"),
        headers={"Authorization": f"token {server['token']}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait_for(server: dict, route: str, done, timeout: float = 900) -> dict:
    "Poll a GET route until `done(answer)`; the last answer."
    t0 = time.time()
    while True:
        code, st = request(server, route)
        if code != 200:
            raise AssertionError(f"GET {route}: {code} {st}")
        if done(st):
            return st
        if time.time() - t0 > timeout:
            raise AssertionError(f"{route} did not settle in {timeout} s: {st}")
        time.sleep(1)


# --- the browser: headless Chromium from the Debian package ---------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def lab_page(pw, server: dict, width: int = 1440, height: int = 900, timeout: int = 60_000):
    "(browser, page): Chromium on JupyterLab of `server` (`jupyter`), waiting for its launcher (up to 2 × `timeout` ms)."
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(timeout)
    page.goto(f"{server['url']}/lab?token={server['token']}")
    page.wait_for_selector(".jp-LauncherCard", timeout=2 * timeout)
    return browser, page
