"""The HTML report printed to PDF by headless Chromium, where it is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfUnavailable(RuntimeError):
    """No headless Chromium here, or it failed; the message says what to do."""


def find_chromium() -> str | None:
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def write_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> Path:
    browser = find_chromium()
    if browser is None:
        raise PdfUnavailable(
            "no Chromium found (looked for chromium, chromium-browser, google-chrome): install "
            "it (Debian: apt-get install chromium) for a PDF, or print the HTML report from a "
            "browser"
        )
    with tempfile.TemporaryDirectory(prefix="report-pdf-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=15000",
            f"--print-to-pdf={pdf_path.resolve()}",
            html_path.resolve().as_uri(),
        ]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(f"Chromium took longer than {timeout:.0f} s to print the report") from None
    if result.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        raise PdfUnavailable(
            f"Chromium could not print the report (exit {result.returncode}): {result.stderr.strip()[-300:]}"
        )
    return pdf_path
