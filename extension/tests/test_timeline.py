"""The drift view's batch timeline in a real Chromium against `jupyter lab` serving a real built project: each
batch's estimated performance with its interval, or the refusal with its reasons, the realised value beside it when
labels came, and an estimated performance drop shown as a model alert of its own, apart from data drift.

Screenshots go to <repo>/test-artifacts/extension/ (git-ignored): look at them.
"""

import json
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]  # the Shipshape repository
sys.path.insert(0, str(REPO / "extension" / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import SHOTS, pytestmark, tab  # noqa: E402, F401  (the same Chromium, skipped alike)
from testproject import jupyter, lab_page, shipshape  # noqa: E402

CLEAN, DRIFTED, HARD = "uci-adult-2026-06-01.csv", "uci-adult-2026-05-01.csv", "uci-adult-hard-cases.csv"
WIDE = "drift:\n  estimate:\n    max_width: 0.25  # the test build keeps a 1,000-row holdout: wider intervals\n"


def monitor(root: Path, batch: str, *args: str) -> int:
    return shipshape(root, "monitor", f"--batch=data/incoming/{batch}", *args, timeout=600, check=False).returncode


def hard_cases(root: Path, batch: str) -> None:
    "The clean batch's valid rows the production model finds hardest (scores 0.3-0.7), as a new batch file."
    from nbs_lib.config import load_env, products_dir, read_json, registry_dir
    from nbs_lib.driftjob import _scores, needed_columns, read_batches
    from nbs_lib.ledger import read_ledger
    from nbs_lib.registry import load

    env = load_env(root=root)
    m = load("production", registry_dir(env, root))
    entry = next(e for e in read_ledger(products_dir(env, root)) if e["file"] == batch)
    rows = pd.read_csv(entry["valid_path"], dtype=str, keep_default_na=False)
    cols = needed_columns(read_json(m.dir / "reference_profile.json"), m.dir, env["dataset"]["target"])
    p = _scores(m.dir, read_batches([entry["valid_path"]], columns=cols), 20_000)
    rows[(p > 0.3) & (p < 0.7)].to_csv(root / "data" / "incoming" / HARD, index=False)
    (root / "data" / "incoming" / f"{HARD}.ready").touch()


@pytest.fixture(scope="module")
def monitored(project, tmp_path_factory):
    "A copy of the built project that monitored a clean batch, a drifted one and a batch of hard cases, in that order."
    root = tmp_path_factory.mktemp("timeline") / "project"
    shutil.copytree(project, root, symlinks=True)
    (root / "env.wide.yaml").write_text(WIDE)
    for start, extra in (("2026-06-01", ()), ("2026-05-01", ("--drift-from", "0"))):
        shipshape(root, "simulate", "--days", "1", "--start", start, "--seed", "21", *extra, timeout=300)
    for f in (root / "data" / "incoming").glob("*.csv"):
        f.with_name(f.name + ".ready").touch()
    codes = {CLEAN: monitor(root, CLEAN), DRIFTED: monitor(root, DRIFTED)}
    hard_cases(root, CLEAN)
    codes[HARD] = monitor(root, HARD, "--env=env.wide.yaml")
    mon = root / "products" / "uci-adult" / "monitoring"
    verdicts = {b: json.loads((mon / Path(b).stem / "drift.json").read_text()) for b in codes}
    return {"root": root, "codes": codes, "verdicts": verdicts}


@pytest.fixture(scope="module")
def page(monitored, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with jupyter(monitored["root"], tmp_path_factory.mktemp("lab")) as server, sync_playwright() as pw:
        browser, pg = lab_page(pw, server, width=1280)
        pg.locator(".jp-LauncherCard", has_text="Shipshape: open dashboard").click()
        tab(pg, "Drift")
        pg.locator(f".ss-timeline li.ss-tl-batch[data-batch='{HARD}']").wait_for()
        yield pg
        browser.close()


def row(page, batch: str):
    return page.locator(f".ss-timeline li.ss-tl-batch[data-batch='{batch}']")


def interval(e: dict) -> str:
    m = e["metrics"]["roc_auc"]
    return f"est. ROC AUC {m['estimate']:.2f} [{m['low']:.2f}–{m['high']:.2f}]"


def test_the_timeline_shows_each_batch_estimate_with_its_interval_or_refusal(page, monitored):
    v = monitored["verdicts"]
    assert monitored["codes"] == {CLEAN: 0, DRIFTED: 1, HARD: 1}
    assert v[CLEAN]["estimate"]["status"] == "estimated"
    assert v[DRIFTED]["estimate"]["status"] == "refused"  # rows where the 1,000-row reference barely reaches
    order = page.locator(".ss-timeline li.ss-tl-batch").evaluate_all("els => els.map(e => e.dataset.batch)")
    assert order.index(HARD) < order.index(DRIFTED) < order.index(CLEAN)  # newest first
    clean = row(page, CLEAN)
    assert clean.locator(".ss-tl-est").inner_text() == interval(v[CLEAN]["estimate"])
    realised = v[CLEAN]["estimate"]["realised"]["roc_auc"]
    assert clean.locator(".ss-tl-realised").inner_text().strip() == f"· realised ROC AUC {realised:.2f}"
    refused = row(page, DRIFTED).locator(".ss-tl-est").inner_text()
    assert refused == "estimate refused: " + "; ".join(v[DRIFTED]["estimate"]["reasons"])
    assert row(page, DRIFTED).locator(".ss-tl-drift").inner_text().startswith("alert: data drift")
    shot = row(page, DRIFTED)
    shot.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "11_timeline.png"))


def test_an_estimated_drop_is_a_model_alert_of_its_own_colour_and_words(page, monitored):
    e = monitored["verdicts"][HARD]["estimate"]
    assert e["status"] == "estimated" and e["drop"] is True
    hard = row(page, HARD)
    assert "ss-tl-drop" in hard.get_attribute("class")
    assert hard.locator(".ss-tl-est").inner_text() == interval(e)
    drop = hard.locator(".ss-b-estimated-drop")
    assert drop.inner_text() == "estimated performance drop"
    amber = row(page, DRIFTED).locator(".ss-tl-drift").evaluate("e => getComputedStyle(e).backgroundColor")
    assert drop.evaluate("e => getComputedStyle(e).backgroundColor") not in (amber, "rgba(0, 0, 0, 0)")
    model = page.locator(".ss-alert li.ss-alert-estimate")
    assert model.inner_text().startswith(f"model alert estimated performance drop: {HARD}: estimated roc_auc")
    hard.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "12_timeline_estimated_drop.png"))


def test_nothing_in_the_drift_view_scrolls_sideways(page):
    widths = {
        sel: page.locator(sel).first.evaluate("e => [e.scrollWidth, e.clientWidth]")
        for sel in ("#shipshape-dashboard .ss-dashboard", ".ss-drift", ".ss-timeline", ".ss-tl-drop")
    }
    assert {sel: w for sel, w in widths.items() if w[0] > w[1]} == {}


def test_the_feature_trends_show_each_feature_per_batch_oldest_first_by_severity_in_colour_and_sign(page, monitored):
    from nbs_lib.app import batch_timeline

    v = monitored["verdicts"]
    timeline = batch_timeline(monitored["root"] / "products" / "uci-adult")  # what the route answers, newest first
    table = page.locator(".ss-trends table.ss-trend-table")
    table.scroll_into_view_if_needed()
    heads = table.locator("thead th[title]").evaluate_all("els => els.map(e => e.title)")
    assert heads == [r["batch"] for r in reversed(timeline)]  # oldest first (with the batches the copied project held)
    assert heads[-3:] == [CLEAN, DRIFTED, HARD]
    order = table.locator("tbody tr").evaluate_all("els => els.map(e => e.dataset.feature)")
    times = [sum(bool(((r.get("features") or {}).get(c) or {}).get("drifted")) for r in timeline) for c in order]
    assert times == sorted(times, reverse=True) and times[0] > 0  # the most drifted first (in how many batches)
    assert set(order) >= set(v[DRIFTED]["alert"]["drifted_columns"])
    top = next(c for c in order if v[DRIFTED]["columns"][c]["drifted"])
    cell = table.locator(f"tbody tr[data-feature='{top}'] td[data-batch='{DRIFTED}']")
    sev = v[DRIFTED]["columns"][top]["severity"]
    assert cell.inner_text() == {"high": "H", "moderate": "M"}[sev]
    assert cell.get_attribute("aria-label").startswith(f"{top} · {DRIFTED}: {sev} (")
    quiet = table.locator(f"tbody tr[data-feature='{top}'] td[data-batch='{CLEAN}']")
    colours = {c.evaluate("e => getComputedStyle(e).backgroundColor") for c in (cell, quiet)}
    assert len(colours) == 2 and quiet.inner_text() != cell.inner_text()
    page.screenshot(path=str(SHOTS / "13_feature_trends.png"))


def test_each_batch_links_to_its_own_html_report(page, monitored):
    link = row(page, DRIFTED).locator("a.ss-link", has_text="batch report")
    path = link.get_attribute("data-path")
    assert path.endswith(f"monitoring/{Path(DRIFTED).stem}/drift.html")
    assert (monitored["root"] / path).read_text().lstrip().lower().startswith("<!doctype html")


def test_twenty_batches_of_feature_trends_fit_1440_by_900_without_sideways_scrolling(page):
    "The real drift answer with its timeline repeated to 20 batches (the timeline's limit)."

    def twenty(route):
        answer = route.fetch().json()
        real = answer["timeline"]
        answer["timeline"] = [r | {"batch": f"{i:02d}-{r['batch']}"} for i, r in enumerate((real * 20)[:20])]
        route.fulfill(json=answer)

    page.set_viewport_size({"width": 1440, "height": 900})
    drift = re.compile(r".*/shipshape/drift(\?\d*)?$")  # JupyterLab adds a cache buster to each GET
    page.route(drift, twenty)
    try:
        tab(page, "Pipeline")
        tab(page, "Drift")
        table = page.locator(".ss-trends table.ss-trend-table")
        assert table.locator("thead th[title]").count() == 20
        widths = {
            sel: page.locator(sel).first.evaluate("e => [e.scrollWidth, e.clientWidth]")
            for sel in ("#shipshape-dashboard .ss-dashboard", ".ss-drift", ".ss-trends", ".ss-trend-table")
        }
        assert {sel: w for sel, w in widths.items() if w[0] > w[1]} == {}
        table.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "14_feature_trends_20_batches.png"))
    finally:
        page.unroute(drift)
        page.set_viewport_size({"width": 1280, "height": 900})
