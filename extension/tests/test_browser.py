"""The Shipshape panel in a real Chromium against a token-protected `jupyter lab` serving a real built project.

Screenshots go to <repo>/test-artifacts/extension/ (git-ignored): look at them.
"""

import json
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]  # the Shipshape repository
sys.path.insert(0, str(REPO / "extension" / "scripts"))
from testproject import CHROMIUM, jupyter, lab_page, shipshape  # noqa: E402

SHOTS = REPO / "test-artifacts" / "extension"
AXE = REPO / "extension" / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install -y chromium"
)


@pytest.fixture(scope="module")
def lab(project, tmp_path_factory):
    "`jupyter lab` with a token, serving the built project; stopped by its process id."
    with jupyter(project, tmp_path_factory.mktemp("lab")) as server:
        yield server | {"root": project}


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser, pg = lab_page(pw, lab)
        yield pg
        browser.close()


def shot(page, name: str):
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def sidebar(page):
    "Show the Shipshape summary in the left sidebar (after a reload JupyterLab may still be restoring its layout)."
    page.locator(".jp-SideBar .lm-TabBar-tab[data-id='shipshape-panel']").wait_for(timeout=120_000)
    for _ in range(30):
        try:
            page.locator("#shipshape-panel .ss-open-dashboard").wait_for(state="visible", timeout=2_000)
            return
        except Exception:
            if not page.locator("#shipshape-panel").is_visible():
                page.click(".jp-SideBar .lm-TabBar-tab[data-id='shipshape-panel']")
    raise AssertionError("the Shipshape summary did not show")


def open_dashboard(page):
    "Make sure the dashboard is the current main-area tab, opening it from the sidebar summary when it is not."
    for _ in range(30):
        try:
            page.locator("#shipshape-dashboard .ss-tab").first.wait_for(state="visible", timeout=2_000)
            return
        except Exception:
            sidebar(page)
            page.click("#shipshape-panel .ss-open-dashboard")
    raise AssertionError("the Shipshape dashboard did not open")


def tab(page, title: str):
    "Show a view of the dashboard."
    open_dashboard(page)
    page.click(f"#shipshape-dashboard .ss-tab:has-text('{title}')")
    page.wait_for_selector(f"#shipshape-dashboard .ss-tab-active:has-text('{title}')")
    page.wait_for_selector("#shipshape-dashboard .ss-body > .ss-view:not([aria-busy])")  # loaded and rendered


def test_the_launcher_and_the_command_palette_open_the_dashboard(page):
    card = page.locator(".jp-LauncherCard", has_text="Shipshape: open dashboard")
    card.wait_for()
    page.keyboard.press("Control+Shift+c")
    page.keyboard.type("Shipshape")
    page.locator(".lm-CommandPalette-item", has_text="Shipshape: open dashboard").first.wait_for()
    page.keyboard.press("Escape")
    card.click()
    page.wait_for_selector("#shipshape-dashboard .ss-title")
    current = page.locator(".lm-DockPanel .lm-TabBar-tab.lm-mod-current")
    assert current.get_attribute("data-id") == "shipshape-dashboard" and current.inner_text().strip() == "Shipshape"
    assert page.locator("#shipshape-dashboard .ss-tab-active").inner_text() == "Readiness"
    shot(page, "01_launcher_dashboard_open")


def test_readiness_shows_the_items_of_the_real_scorecard(page, lab):
    card = json.loads((lab["root"] / "products" / "uci-adult" / "readiness" / "scorecard.json").read_text())
    page.wait_for_selector(".ss-readiness .ss-gate")
    gate = page.locator(".ss-gate").inner_text()
    assert card["scores"]["gate"]["decision"].upper() in gate
    assert card["scores"]["band"] in page.locator(".ss-score").inner_text()
    ids = page.locator("li.ss-item[data-item]").evaluate_all("els => els.map(e => e.dataset.item)")
    assert {i["id"] for i in card["items"]} <= set(ids)
    first = page.locator("section.ss-section").first.get_attribute("data-section")
    worst = min(card["items"], key=lambda i: ["fail", "unknown", "warn", "manual", "n/a", "pass"].index(i["status"]))
    assert (
        first == worst["section"]
        or worst["status"] == page.locator("section.ss-section").first.locator(".ss-badge").first.inner_text()
    )
    shot(page, "02_readiness")


def test_readiness_names_the_blocking_items_by_title_and_each_shows_its_item(page, lab):
    gate = json.loads((lab["root"] / "products" / "uci-adult" / "readiness" / "scorecard.json").read_text())["scores"][
        "gate"
    ]
    nogo = [b for b in gate["blocking"] if b["blocking"]]
    links = page.locator(".ss-header .ss-blocking .ss-gate-link")
    assert links.evaluate_all("els => els.map(e => e.dataset.goto)") == [b["id"] for b in nogo]
    titles = page.locator(".ss-header .ss-blocking .ss-gate-title").all_inner_texts()
    assert titles == [b["title"] for b in nogo] and all(titles)
    review = page.locator(".ss-header details.ss-review")
    assert review.count() == (1 if len(gate["blocking"]) > len(nogo) else 0)
    assert review.count() == 0 or review.get_attribute("open") is None  # the items to review start folded
    # the sign-offs sit right under the gate
    assert page.locator(".ss-readiness > .ss-header + .ss-signoffs").count() == 1
    if nogo:
        last = nogo[-1]["id"]
        links.last.click()
        item = page.locator(f"li.ss-item[data-item='{last}']")
        from playwright.sync_api import expect

        expect(item).to_be_in_viewport()
        expect(item).to_be_focused()
        shot(page, "02b_readiness_blocking_item_shown")


def test_readiness_folds_the_passing_items_and_filters_by_id_or_title(page, lab):
    card = json.loads((lab["root"] / "products" / "uci-adult" / "readiness" / "scorecard.json").read_text())
    tab(page, "Readiness")
    passing = [i["id"] for i in card["items"] if i["status"] in ("pass", "n/a")]
    assert passing  # the test build has passing items
    folded = page.locator("section.ss-section details.ss-passing li.ss-item").evaluate_all(
        "els => els.map(e => e.dataset.item)"
    )
    assert sorted(folded) == sorted(passing)
    assert page.locator("section.ss-section details.ss-passing[open]").count() == 0
    assert not page.locator(f"li.ss-item[data-item='{passing[0]}']").is_visible()
    target = next(i for i in card["items"] if i["status"] == "fail")
    word = target["title"].split()[-1].strip("()").upper()  # a word of its title, in another case
    page.fill(".ss-filter-text", word)

    def visible():
        return page.locator("section.ss-section li.ss-item:visible").evaluate_all("els => els.map(e => e.dataset.item)")

    shown = visible()
    titles = {i["id"]: f"{i['id']} {i['title']}".lower() for i in card["items"]}
    assert target["id"] in shown and len(shown) < len(card["items"])
    assert [i for i in shown if word.lower() not in titles[i]] == []
    sections = page.locator("section.ss-section:visible").evaluate_all("els => els.map(e => e.dataset.section)")
    assert len(sections) < len({i["section"] for i in card["items"]})  # the sections left empty are hidden
    page.click("#shipshape-dashboard .ss-refresh")  # a reload of the view re-renders it, as a poll does
    page.wait_for_selector("#shipshape-dashboard .ss-body > .ss-view:not([aria-busy])")
    assert page.locator(".ss-filter-text").input_value() == word
    assert visible() == shown
    page.fill(".ss-filter-text", "")
    page.select_option(".ss-filter-status", "pass")
    status = {i["id"]: i["status"] for i in card["items"]}
    shown = visible()
    assert shown and {status[i] for i in shown} == {"pass"}
    shot(page, "02c_readiness_filtered")
    page.select_option(".ss-filter-status", "all")
    assert page.locator("section.ss-section details.ss-passing[open]").count() == 0


def test_an_evidence_link_opens_the_file_in_jupyterlab(page):
    link = page.locator(".ss-evidence a[data-path$='.json']").first
    if not link.is_visible():  # it belongs to a passing item: open its section's passing list
        link.locator("xpath=ancestor::details[contains(@class, 'ss-passing')]/summary").click()
    path = link.get_attribute("data-path")
    link.click()
    page.locator(".lm-DockPanel .lm-TabBar-tab", has_text=Path(path).name).first.wait_for()
    page.locator(".lm-DockPanel .lm-TabBar-tab.lm-mod-current", has_text=Path(path).name).wait_for()
    shot(page, "03_evidence_opened")


def test_ticking_a_manual_item_writes_readiness_yaml(page, lab):
    tab(page, "Readiness")  # the evidence file took the main area
    yml = lab["root"] / "readiness.yaml"
    before = yml.read_text() if yml.exists() else ""
    item = page.locator("li.ss-item[data-item='D3']")
    item.scroll_into_view_if_needed()
    item.locator(".ss-attest-box").check()
    item.locator(".ss-attest-comment").fill("feature costs reviewed in the design review")
    item.locator(".ss-attest-save").click()
    # the confirmation stands beside the Save that caused it (D3 now passes: its section's passing list opens)
    item.locator(".ss-attest .ss-attest-save + [role=status]", has_text="Saved D3 (done)").wait_for()
    assert page.locator(".ss-readiness [role=status]", has_text="Saved D3").count() == 1
    doc = yaml.safe_load(yml.read_text())
    d3 = doc["manual_items"]["D3"]
    assert yml.read_text() != before
    assert (
        d3["status"] == "done"
        and d3["comment"] == "feature costs reviewed in the design review"
        and d3["who"]
        and d3["when"]
    )
    card = json.loads((lab["root"] / "products" / "uci-adult" / "readiness" / "scorecard.json").read_text())
    assert next(i for i in card["items"] if i["id"] == "D3")["status"] == "pass"
    assert "done — attested by" in page.locator("li.ss-item[data-item='D3'] .ss-attested").inner_text()
    page.locator("li.ss-item[data-item='D3']").evaluate("e => e.scrollIntoView({block: 'center'})")
    shot(page, "04_manual_item_attested")


def test_a_pipeline_run_started_in_the_panel_finishes(page, lab):
    (lab["root"] / "products" / "uci-adult" / "07_report" / "wandb.json").unlink()  # make the report task outdated
    tab(page, "Pipeline")
    page.locator(".ss-tasks tr[data-task='report']", has_text="outdated").wait_for()
    assert page.locator(".ss-dag-node").count() == 9  # the graph: one node per task
    assert "outdated" in page.locator(".ss-dag-node[data-task='report']").inner_text()
    page.click(".ss-run-button")
    page.locator(".ss-progress").wait_for()
    shot(page, "05_pipeline_running")
    page.reload()  # the tab goes away mid-run: the job goes on on the server
    tab(page, "Pipeline")
    page.locator(".ss-run-button:not([disabled])").wait_for(timeout=300_000)
    row = page.locator(".ss-history tr.ss-run").first
    run_id = row.locator("td").first.get_attribute("title")
    page.locator(".jp-toast-message", has_text=f"Shipshape pipeline run {run_id} ok").wait_for()
    failure = page.locator(".ss-run-error")
    assert failure.count() == 0, failure.inner_text()
    assert "panel" in row.inner_text() and "ok" in row.inner_text()
    assert page.locator(".ss-tasks tr[data-task='report']").inner_text().count("up to date") == 1
    row.click()
    page.locator(".ss-run-detail").wait_for()
    shot(page, "06_pipeline_finished")


def test_the_export_view_disables_tensorrt_on_cpu_with_its_reason(page):
    import torch

    tab(page, "Models")
    trt = page.locator(".ss-target[data-target='tensorrt-fp16']")
    trt.wait_for()
    if not torch.cuda.is_available():
        assert trt.locator("button").is_disabled()
        assert "needs an NVIDIA GPU" in trt.inner_text()
    page.locator(".ss-results tr[data-target='onnx-fp32']").wait_for()
    shot(page, "07_export")


def test_a_registered_versions_page_shows_its_metrics_targets_lineage_and_readiness_at_registration(page, lab):
    "Models → details of v0001: what the registry and the readiness task kept, on one page that fits 1440x900."
    folder = next((lab["root"] / "registry").glob("*/registry.json")).parent
    v1 = json.loads((folder / "versions" / "v0001" / "meta.json").read_text())
    kept = json.loads((folder / "versions" / "v0001" / "readiness.json").read_text())
    tab(page, "Models")
    page.click(".ss-versions button.ss-details[data-version='v0001']")
    version = page.locator(".ss-version-page[data-version='v0001']")
    version.locator(".ss-version-metrics").wait_for()
    assert version.locator("h3").first.inner_text().startswith("Version v0001")
    roc = version.locator(".ss-version-metrics tr[data-key='roc_auc'] td").inner_text()
    assert float(roc) == pytest.approx(v1["metrics"]["roc_auc"], abs=1e-3)
    fp32 = version.locator(".ss-version-targets tr[data-target='onnx-fp32'][data-source='at registration']")
    assert "max_abs_diff" in fp32.inner_text() and "µs" in fp32.inner_text()
    data = version.locator(".ss-version-lineage tr[data-key='data version'] code")
    assert data.get_attribute("title") == v1["data_version"] and data.inner_text() == v1["data_version"][:12] + "…"
    readiness = version.locator(".ss-version-readiness")
    assert kept["decision"].upper() in readiness.inner_text()
    assert all(b["title"] in readiness.inner_text() for b in kept["blocking"])
    link = version.locator(".ss-version-files tr[data-file='onnx'] a.ss-download")
    size = page.evaluate("h => fetch(h).then(r => r.arrayBuffer()).then(b => b.byteLength)", link.get_attribute("href"))
    assert size == (folder / "versions" / "v0001" / "model.onnx").stat().st_size
    page.locator("#shipshape-dashboard .ss-body").evaluate("e => e.scrollTo(0, 0)")
    shot(page, "dashboard_version_light")
    assert page.locator("#shipshape-dashboard").evaluate(SIDEWAYS) == []
    version.locator(".ss-version-files").scroll_into_view_if_needed()
    shot(page, "dashboard_version_files_light")
    version.locator(".ss-back").click()
    page.locator(".ss-versions").wait_for()


def test_the_drift_view_runs_the_monitoring_job_and_shows_the_report(page, lab):
    root = lab["root"]
    shipshape(
        root, "simulate", "--days", "1", "--start", "2026-08-15", "--drift-from", "0", "--seed", "11", timeout=300
    )
    for f in (root / "data" / "incoming").glob("*.csv"):
        f.with_name(f.name + ".ready").touch()  # complete: taken at once
    tab(page, "Drift")
    page.locator(".ss-monitor-button").wait_for()
    page.fill(".ss-batch", "data/incoming")
    page.click(".ss-monitor-button")
    page.locator(".ss-monitor-button[disabled]").wait_for()
    shot(page, "08_drift_monitoring")
    page.locator(".ss-monitor-button:not([disabled])").wait_for(timeout=300_000)
    assert (root / "products" / "uci-adult" / "monitoring" / "latest.json").exists()
    page.locator(".ss-drift-table .ss-drift-row").first.wait_for()
    assert "age" in page.locator(".ss-drift-table").inner_text()
    page.locator(".ss-drift-table .ss-drift-row").first.click()
    page.locator(".ss-hist").wait_for()
    shot(page, "09_drift_report")


def test_a_drift_alert_shows_as_an_alert_not_a_failure(page, lab):
    "The drifted batch above: exit 1 is an alert (amber, its own words), not 'failed with exit code 1' and a log tail."
    latest = json.loads((lab["root"] / "products" / "uci-adult" / "monitoring" / "latest.json").read_text())
    assert latest["alert"]["fired"] is True
    tab(page, "Drift")
    verdict = page.locator(".ss-alert .ss-verdict-alert")
    verdict.wait_for()
    words = verdict.inner_text()
    assert words.startswith("alert: drift in " + ", ".join(latest["alert"]["drifted_columns"]))
    assert ("prediction drift" in words) == latest["alert"]["signals"]["prediction"] and "fail" not in words
    assert page.locator(".ss-alert").first.evaluate("e => getComputedStyle(e).borderLeftColor") == "rgb(249, 168, 37)"
    last = page.locator(".ss-last-job")
    assert "ss-last-alert" in last.get_attribute("class") and "exit 1: alert" in last.inner_text()
    assert page.locator(".ss-error").count() == 0 and page.locator(".ss-drift pre").count() == 0
    shot(page, "10_drift_alert")
    tab(page, "Pipeline")
    row = page.locator(".ss-history tr.ss-run[data-outcome='alert']").first
    row.wait_for()
    assert row.locator(".ss-badge").inner_text() == "alert"
    assert row.locator(".ss-run-result").inner_text().startswith("alert: ")
    assert "failed" not in row.inner_text()
    row.click()
    page.locator(".ss-run-detail .ss-alert-list").wait_for()
    assert page.locator(".ss-run-detail .ss-error").count() == 0
    shot(page, "11_run_history_alert")


def test_the_sidebar_summary_says_what_the_routes_say_and_opens_each_view(page, lab):
    "After the flows above: a no-go (or other) gate, v0001 in production, the drifted batch's alert, no job."
    from playwright.sync_api import expect

    card = json.loads((lab["root"] / "products" / "uci-adult" / "readiness" / "scorecard.json").read_text())
    latest = json.loads((lab["root"] / "products" / "uci-adult" / "monitoring" / "latest.json").read_text())
    reg = json.loads(next((lab["root"] / "registry").glob("*/registry.json")).read_text())
    open_dashboard(page)
    page.click(".lm-DockPanel .lm-TabBar-tab[data-id='shipshape-dashboard'] .lm-TabBar-tabCloseIcon")
    page.locator("#shipshape-dashboard").wait_for(state="detached")
    sidebar(page)
    line = lambda view: page.locator(f"#shipshape-panel .ss-summary-line[data-view='{view}'] .ss-badge")  # noqa: E731
    expect(line("readiness")).to_have_text(card["scores"]["gate"]["decision"].upper(), timeout=20_000)
    expect(line("models")).to_have_text(reg["aliases"]["production"], timeout=20_000)
    expect(line("drift")).to_have_text(f"alert: {latest['batch']}", timeout=20_000)  # the summary polls every 5 s
    expect(line("pipeline")).to_have_text("idle", timeout=20_000)
    page.click("#shipshape-panel .ss-summary-line[data-view='readiness']")
    page.locator("#shipshape-dashboard .ss-tab-active", has_text="Readiness").wait_for()
    page.locator("#shipshape-dashboard .ss-readiness .ss-gate").wait_for()
    page.click("#shipshape-panel .ss-summary-line[data-view='drift']")
    page.locator("#shipshape-dashboard .ss-tab-active", has_text="Drift").wait_for()
    page.locator("#shipshape-dashboard .ss-drift").wait_for()
    page.click("#shipshape-panel .ss-summary-line[data-view='models']")
    page.locator("#shipshape-dashboard .ss-tab-active", has_text="Models").wait_for()


# Anything that scrolls sideways inside `root`, anything that sticks out of it, and truncated text without a tooltip.
SIDEWAYS = """root => {
  const name = e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
    ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const bad = [];
  const r = root.getBoundingClientRect();
  if (root.scrollWidth > root.clientWidth + 1) bad.push(`${name(root)} ${root.scrollWidth} > ${root.clientWidth}`);
  for (const e of root.querySelectorAll('*')) {
    const b = e.getBoundingClientRect();
    if (!b.width || !b.height) continue;
    const cs = getComputedStyle(e);
    const over = e.scrollWidth > e.clientWidth + 1;
    if (over && (cs.overflowX === 'auto' || cs.overflowX === 'scroll')) bad.push(`${name(e)} scrolls sideways`);
    if (over && cs.textOverflow === 'ellipsis' && !e.closest('[title]')) bad.push(`${name(e)} truncated, no title`);
    if (b.right > r.right + 1) bad.push(`${name(e)} sticks out by ${Math.round(b.right - r.right)} px`);
  }
  return bad;
}"""

AXE_RUN = """async sel => {
  const r = await axe.run(document.querySelector(sel), {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(' | ')}`);
}"""


def set_theme(page, theme: str):
    "Choose a theme from the Settings menu, as a person does."
    name = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}[theme]
    page.click(".lm-MenuBar-itemLabel:text-is('Settings')")
    page.click(".lm-Menu-itemLabel:text-is('Theme')")
    page.click(f".lm-Menu-itemLabel:text-is('{name}')")
    page.wait_for_function(
        "light => document.body.dataset.jpThemeLight === light", arg=str(theme == "light").lower(), timeout=30_000
    )
    page.wait_for_timeout(500)  # the theme's stylesheet applies


def axe(page, selector: str) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN, selector)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_view_fits_1440_by_900_and_has_no_serious_accessibility_violation(page, theme):
    assert page.viewport_size == {"width": 1440, "height": 900}
    set_theme(page, theme)
    for _ in range(10):  # hide the notifications of the flows above
        close = page.locator(".jp-Notification-Toast-Close")
        if close.count() == 0:
            break
        try:
            close.first.click(timeout=2_000)
        except Exception:
            pass  # it went away by itself
        page.wait_for_timeout(500)
    sideways, violations = {}, {}
    for view in ("Readiness", "Drift", "Models", "Pipeline"):
        tab(page, view)
        page.locator(f"#shipshape-dashboard .ss-view-{view.lower()} > div:not(.ss-loading)").first.wait_for()
        page.locator("#shipshape-dashboard .ss-body").evaluate("e => e.scrollTo(0, 0)")
        shot(page, f"dashboard_{view.lower()}_{theme}")
        sideways[view] = page.locator("#shipshape-dashboard").evaluate(SIDEWAYS)
        violations[view] = axe(page, "#shipshape-dashboard")
        if view == "Models":  # a registered version's own page
            page.click(".ss-versions button.ss-details[data-version='v0001']")
            page.locator(".ss-version-page[data-version='v0001'] .ss-version-metrics").wait_for()
            page.locator("#shipshape-dashboard .ss-body").evaluate("e => e.scrollTo(0, 0)")
            shot(page, f"dashboard_version_{theme}")
            sideways["version"] = page.locator("#shipshape-dashboard").evaluate(SIDEWAYS)
            violations["version"] = axe(page, "#shipshape-dashboard")
            page.click(".ss-version-page .ss-back")
            page.locator(".ss-versions").wait_for()
    sidebar(page)
    page.locator("#shipshape-panel .ss-summary-lines").wait_for()
    shot(page, f"sidebar_summary_{theme}")
    sideways["summary"] = page.locator("#shipshape-panel").evaluate(SIDEWAYS)
    violations["summary"] = axe(page, "#shipshape-panel")
    width = page.locator("#shipshape-panel").evaluate("e => e.getBoundingClientRect().width")
    sideways = {k: v for k, v in sideways.items() if v}
    violations = {k: v for k, v in violations.items() if v}
    if theme == "dark":
        set_theme(page, "light")
    assert width < 400  # the default sidebar width, not a widened one
    assert sideways == {}
    assert violations == {}
