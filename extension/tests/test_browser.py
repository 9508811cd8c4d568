"""The Shipshape panel in a real Chromium against a token-protected `jupyter lab` serving a real built project.

Screenshots go to <repo>/test-artifacts/extension/ (git-ignored): look at them.
"""
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]          # the Shipshape repository

SHOTS = REPO/"test-artifacts"/"extension"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install -y chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(project, tmp_path_factory):
    "`jupyter lab` with a token, serving the built project; stopped by its process id."
    port, token, cfg = free_port(), secrets.token_hex(16), tmp_path_factory.mktemp("lab")
    env = {k: v for k, v in os.environ.items() if k != "SHIPSHAPE_ROOT"}
    news = cfg/"settings"/"@jupyterlab"/"apputils-extension"/"notification.jupyterlab-settings"
    news.parent.mkdir(parents=True); news.write_text('{"fetchNews": "false"}')      # no "get Jupyter news?" toast
    log = open(cfg/"lab.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                             f"--ServerApp.token={token}", "--allow-root", f"--ServerApp.root_dir={project}",
                             f"--LabApp.user_settings_dir={cfg/'settings'}", f"--LabApp.workspaces_dir={cfg/'workspaces'}"],
                            cwd=project, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2); break
            except OSError: time.sleep(0.5)
        else: raise AssertionError(f"jupyter lab did not start: {(cfg/'lab.log').read_text()[-3000:]}")
        yield {"url": url, "token": token, "root": project, "log": cfg/"lab.log"}
    finally:
        proc.terminate()
        try: proc.wait(20)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1440, "height": 900})
        pg.set_default_timeout(60_000)
        pg.goto(f"{lab['url']}/lab?token={lab['token']}")
        pg.wait_for_selector(".jp-LauncherCard", timeout=120_000)
        yield pg
        browser.close()


def shot(page, name: str):
    page.screenshot(path=str(SHOTS/f"{name}.png"))


def open_panel(page):
    "Make sure the Shipshape panel is showing (after a reload JupyterLab may still be restoring its layout)."
    page.locator(".jp-SideBar .lm-TabBar-tab[data-id='shipshape-panel']").wait_for(timeout=120_000)
    for _ in range(30):
        try:
            page.locator("#shipshape-panel .ss-tab").first.wait_for(state="visible", timeout=2_000); return
        except Exception:
            if not page.locator("#shipshape-panel").is_visible():
                page.click(".jp-SideBar .lm-TabBar-tab[data-id='shipshape-panel']")
    raise AssertionError("the Shipshape panel did not open")


def tab(page, title: str):
    "Show a view of the panel."
    open_panel(page)
    page.click(f".ss-tab:has-text('{title}')")
    page.wait_for_selector(f".ss-tab-active:has-text('{title}')")


def test_the_launcher_and_the_command_palette_open_the_panel(page):
    card = page.locator(".jp-LauncherCard", has_text="Shipshape: open panel")
    card.wait_for()
    page.keyboard.press("Control+Shift+c")
    page.keyboard.type("Shipshape")
    page.locator(".lm-CommandPalette-item", has_text="Shipshape: open panel").first.wait_for()
    page.keyboard.press("Escape")
    card.click()
    page.wait_for_selector("#shipshape-panel .ss-title")
    assert page.locator("#shipshape-panel").is_visible()
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first     # widen the side panel for the shots
    box = handle.bounding_box()
    page.mouse.move(box["x"] + 1, box["y"] + 300); page.mouse.down()
    page.mouse.move(640, box["y"] + 300, steps=5); page.mouse.up()
    shot(page, "01_launcher_panel_open")


def test_readiness_shows_the_items_of_the_real_scorecard(page, lab):
    card = json.loads((lab["root"]/"products"/"readiness"/"scorecard.json").read_text())
    page.wait_for_selector(".ss-readiness .ss-gate")
    gate = page.locator(".ss-gate").inner_text()
    assert card["scores"]["gate"]["decision"].upper() in gate
    assert card["scores"]["band"] in page.locator(".ss-score").inner_text()
    ids = page.locator("li.ss-item[data-item]").evaluate_all("els => els.map(e => e.dataset.item)")
    assert {i["id"] for i in card["items"]} <= set(ids)
    first = page.locator("section.ss-section").first.get_attribute("data-section")
    worst = min(card["items"], key=lambda i: ["fail", "unknown", "warn", "manual", "pass"].index(i["status"]))
    assert first == worst["section"] or worst["status"] == page.locator("section.ss-section").first.locator(".ss-badge").first.inner_text()
    shot(page, "02_readiness")


def test_an_evidence_link_opens_the_file_in_jupyterlab(page):
    link = page.locator(".ss-evidence a[data-path$='.json']").first
    path = link.get_attribute("data-path")
    link.click()
    page.locator(".lm-DockPanel .lm-TabBar-tab", has_text=Path(path).name).first.wait_for()
    page.locator(".lm-DockPanel .lm-TabBar-tab.lm-mod-current", has_text=Path(path).name).wait_for()
    shot(page, "03_evidence_opened")


def test_ticking_a_manual_item_writes_readiness_yaml(page, lab):
    yml = lab["root"]/"readiness.yaml"
    before = yml.read_text() if yml.exists() else ""
    item = page.locator("li.ss-item[data-item='D3']")
    item.scroll_into_view_if_needed()
    item.locator(".ss-attest-box").check()
    item.locator(".ss-attest-comment").fill("feature costs reviewed in the design review")
    item.locator(".ss-attest-save").click()
    page.locator("[role=status]", has_text="Saved D3 (done)").wait_for()
    doc = yaml.safe_load(yml.read_text())
    d3 = doc["manual_items"]["D3"]
    assert yml.read_text() != before
    assert d3["status"] == "done" and d3["comment"] == "feature costs reviewed in the design review" and d3["who"] and d3["when"]
    card = json.loads((lab["root"]/"products"/"readiness"/"scorecard.json").read_text())
    assert next(i for i in card["items"] if i["id"] == "D3")["status"] == "pass"
    assert "done — attested by" in page.locator("li.ss-item[data-item='D3'] .ss-attested").inner_text()
    page.locator("li.ss-item[data-item='D3']").scroll_into_view_if_needed()
    shot(page, "04_manual_item_attested")


def test_a_pipeline_run_started_in_the_panel_finishes(page, lab):
    (lab["root"]/"products"/"07_report"/"wandb.json").unlink()          # make the report task outdated
    tab(page, "Pipeline")
    page.locator(".ss-tasks tr[data-task='report']", has_text="outdated").wait_for()
    page.click(".ss-run-button")
    page.locator(".ss-progress").wait_for()
    shot(page, "05_pipeline_running")
    page.reload()                                     # the tab goes away mid-run: the job goes on on the server
    tab(page, "Pipeline")
    page.locator(".ss-run-button:not([disabled])").wait_for(timeout=300_000)
    row = page.locator(".ss-history tr.ss-run").first
    failure = page.locator(".ss-run-error")
    assert failure.count() == 0, failure.inner_text()
    assert "panel" in row.inner_text() and "ok" in row.inner_text()
    assert page.locator(".ss-tasks tr[data-task='report']").inner_text().count("up to date") == 1
    row.click()
    page.locator(".ss-run-detail").wait_for()
    shot(page, "06_pipeline_finished")


def test_the_export_view_disables_tensorrt_on_cpu_with_its_reason(page):
    import torch
    tab(page, "Export")
    trt = page.locator(".ss-target[data-target='tensorrt-fp16']")
    trt.wait_for()
    if not torch.cuda.is_available():
        assert trt.locator("button").is_disabled()
        assert "needs an NVIDIA GPU" in trt.inner_text()
    page.locator(".ss-results tr[data-target='onnx-fp32']").wait_for()
    shot(page, "07_export")


def test_the_drift_view_runs_the_monitoring_job_and_shows_the_report(page, lab):
    root = lab["root"]
    r = subprocess.run([sys.executable, "-m", "nbs_lib.simulate", "--days", "1", "--start", "2026-09-01", "--drift-from", "0"],
                       cwd=root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    tab(page, "Drift")
    page.locator(".ss-monitor-button").wait_for()
    page.fill(".ss-batch", "data/incoming")
    page.click(".ss-monitor-button")
    page.locator(".ss-monitor-button[disabled]").wait_for()
    shot(page, "08_drift_monitoring")
    page.locator(".ss-monitor-button:not([disabled])").wait_for(timeout=300_000)
    # the simulated batch drifted: the job fails with the alert (exit 1), the panel says so and shows the report
    err = page.locator(".ss-error")
    assert err.count() == 1 and "exit code 1" in err.inner_text() and "drift alert" in err.inner_text().lower()
    assert (root/"products"/"monitoring"/"latest.json").exists()
    page.locator(".ss-drift-table .ss-drift-row").first.wait_for()
    assert "age" in page.locator(".ss-drift-table").inner_text()
    page.locator(".ss-drift-table .ss-drift-row").first.click()
    page.locator(".ss-hist").wait_for()
    shot(page, "09_drift_report")
