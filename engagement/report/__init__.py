"""The post-event report: ``content`` computes it, ``findings`` says what its figures mean, ``figures``
draws its charts for print, ``document`` renders HTML, ``workbook`` writes XLSX and CSV, ``pdf``
prints the HTML with headless Chromium; ``write`` does all of it into one folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engagement.report.content import (
    PAGE_QUESTIONS,
    THREADS,
    Report,
    UnknownNetwork,
    build,
    for_networks,
    with_all_questions,
)
from engagement.report.document import render
from engagement.report.pdf import PdfUnavailable, write_pdf
from engagement.report.workbook import write_csvs, write_xlsx

__all__ = [
    "PAGE_QUESTIONS",
    "THREADS",
    "Report",
    "UnknownNetwork",
    "build",
    "for_networks",
    "with_all_questions",
    "render",
    "write",
    "Written",
]


@dataclass
class Written:
    html: Path
    xlsx: Path
    csvs: list[Path]
    pdf: Path | None = None
    pdf_problem: str | None = None
    files: list[Path] = field(default_factory=list)


def write(report: Report, folder: Path, *, pdf: bool = True, questions_in_pdf: bool | None = None) -> Written:
    """Every format into ``folder``; ``questions_in_pdf`` (default: the report's own, from ``build``)
    adds every published question to the HTML and PDF as an appendix (the files always have them)."""
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / "report.html"
    html_path.write_text(render(report, questions_in_pdf=questions_in_pdf), encoding="utf-8")
    written = Written(
        html=html_path, xlsx=write_xlsx(report, folder / "report.xlsx"), csvs=write_csvs(report, folder / "csv")
    )
    if pdf:
        try:
            written.pdf = write_pdf(html_path, folder / "report.pdf")
        except PdfUnavailable as problem:
            written.pdf_problem = str(problem)
    return written
