"""The app on the demo database: AppTest for the script, a real browser for what people see."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")


def test_the_overview_shows_the_demo_figures(demo_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Collected posts"] == "3,000" and metrics["Questions"] == "200"
    assert int(metrics["Stakeholder groups heard"]) == 14
    assert any("Demo data" in w.value for w in at.warning)
    newest = at.dataframe[0].value
    assert len(newest) == 15 and {"time", "handle", "group", "kind", "text", "link"} <= set(newest.columns)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served_app(demo_db):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": demo_db}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError(f"the app did not answer: {process.stderr.read1().decode(errors='replace')}")
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                    reason="needs Debian's chromium (.ci/run installs it; in CI its absence fails)")
def test_a_browser_sees_the_demo_overview(served_app, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(served_app)
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
        page.wait_for_selector('[data-testid="stMetricValue"]', timeout=30_000)
        values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        assert "3,000" in values and "200" in values
        page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=30_000)
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 1
        assert page.get_by_text("Demo data").count() >= 1
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
        browser.close()
    # The demo carries a markdown image pointing here; nothing on the page may fetch it.
    assert not any("127.0.0.1:9/" in url for url in requests)
