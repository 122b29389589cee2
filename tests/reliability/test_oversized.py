"""Oversized input: a 10 MB question, a 100,000-line CSV of questions, a 2 GB JSONL. Each is refused
or streamed with a clear message, and memory stays flat (the worker's peak resident memory is read
from the kernel for the child process)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engagement.qa import asking, blocklist
from engagement.qa.limits import Limits
from engagement.storage import db
from engagement.storage.models import Post, Question, RejectedRecord

from ..helpers import ROOT, real_data
from ..helpers.pages import ask, page, panel_1

TEN_MB = "Why? " * (2 * 1024 * 1024 - 1) + "Why?!"  # 10 MiB of text
MEMORY_CEILING_MB = 300


def peak_memory_mb(pid: int) -> float:
    """The process's resident high-water mark so far (VmHWM belongs to the program exec'd, unlike
    wait4's ru_maxrss, which starts at the forking test process's own size)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")), 0.0)


def ingest(*args, url: str) -> tuple[int, str, str, float]:
    """Run the worker; its exit code, output, and peak resident memory in MB (watched until it exits)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": url}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:  # pipes could fill and block
        process = subprocess.Popen(
            [sys.executable, "-m", "ingest", *args], cwd=ROOT, env=env, stdout=out, stderr=err, text=True
        )
        peak, deadline = 0.0, time.monotonic() + 600  # a bound for runs of 5-60 s
        while process.poll() is None:
            peak = max(peak, peak_memory_mb(process.pid))
            if time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"the worker ran for more than 600 s: {args}")
            # The sampling interval, not a wait for anything: VmHWM is a high-water mark the kernel
            # keeps, so a sample taken late still sees the peak; only the last 50 ms can be missed.
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        return process.returncode, out.read(), err.read(), peak


def test_a_10_mb_question_is_refused_with_a_clear_message(qa_url, monkeypatch, tally):  # noqa: F811
    # A browser stops typing at 500 characters; a hand-made client can send more. Streamlit drops a
    # value over the widget's max_chars, and the page refuses what is left.
    at = page(qa_url, monkeypatch)
    ask(at, TEN_MB)
    assert [e.value for e in at.error] == ["The question is empty."]
    # Below the page, the same rule with the figures, whoever calls it.
    with (
        pytest.raises(asking.QuestionRefused, match="The question has 10,485,760 characters; at most 500"),
        db.writing(qa_url) as session,
    ):
        asking.submit(
            session,
            session_id=panel_1(qa_url),
            text=TEN_MB,
            participant_hash="big",
            limits=Limits(),
            blocklist=blocklist.load(),
        )
    with db.reading(qa_url) as session:
        assert session.scalar(select(func.count()).select_from(Question)) == 0
    ask(at, "A normal question afterwards?")  # the page is still usable
    with db.reading(qa_url) as session:
        assert session.scalar(select(func.count()).select_from(Question)) == 1
    tally.bad_input("a 10 MB question, through the Ask page and the core", 2)


def test_10_mb_names_and_affiliations_are_refused_too(qa_url, tally):  # noqa: F811
    for field, label in (("name", "name"), ("affiliation", "affiliation")):
        with (
            pytest.raises(asking.QuestionRefused, match=f"The {label} has 10,485,760 characters"),
            db.writing(qa_url) as session,
        ):
            asking.submit(
                session,
                session_id=panel_1(qa_url),
                text="Short?",
                participant_hash="big",
                consent=True,
                limits=Limits(),
                blocklist=blocklist.load(),
                **{field: TEN_MB},
            )
    with db.reading(qa_url) as session:
        assert session.scalar(select(func.count()).select_from(Question)) == 0
    tally.bad_input("10 MB names and affiliations", 2)


def test_a_100_000_line_questions_csv_streams_in_batches(db_url, tmp_path, tally):
    path = tmp_path / "questions.csv"
    sessions = ["d1-panel-1", "d1-panel-2", "d1-opening", "no-such-session"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["session", "question", "name", "votes"])
        for n in range(100_000):
            writer.writerow([sessions[n % 4], f"Question {n}: how are victims identified?", f"P{n}", n % 7])
        writer.writerow(["d1-panel-1", "x" * 300_000, "too long a field", 0])  # over the CSV field limit
        handle.write('d1-panel-1,"' + "y" * (2 * 1024 * 1024) + '",a line over 1 MiB,0\n')
    code, out, err, peak_mb = ingest("import-questions", str(path), url=db_url)
    assert code == 3, err  # records were rejected, and the exit status says so
    counts = dict(line.strip().rsplit(None, 1) for line in out.splitlines()[1:])
    assert counts["rows"] == "100002" and counts["new"] == "75000" and counts["rejected"] == "25002", out
    with db.reading(db_url) as session:
        assert session.scalar(select(func.count()).select_from(Question)) == 75_000
        reasons = session.scalars(
            select(RejectedRecord.reason)
            .where(RejectedRecord.source == "import-questions")
            .order_by(RejectedRecord.id.desc())
            .limit(2)
        ).all()
    assert "a question row has at most 1,048,576" in reasons[0] and "field larger than field limit" in reasons[1]
    assert peak_mb < MEMORY_CEILING_MB, f"{peak_mb:.0f} MB"
    # Again: idempotent, nothing doubled.
    code, out, err, _ = ingest("import-questions", str(path), url=db_url)
    with db.reading(db_url) as session:
        assert session.scalar(select(func.count()).select_from(Question)) == 75_000
    tally.bad_input("rows of one 100,000-line questions CSV (75,000 stored, 25,002 rejected with reasons)", 100_002)
    tally.note(f"100,000-line questions CSV: worker peak memory {peak_mb:.0f} MB")


@pytest.mark.skipif(os.statvfs("/tmp").f_bsize == 0, reason="no sparse files")
def test_a_2_gb_jsonl_is_streamed_and_its_monster_line_rejected(db_url, tmp_path, tally):
    """Two real pages around a 2 GiB line with no line end inside (a sparse file: no disk used)."""
    lines = [line for line in real_data("two_tweets.jsonl").read_text(encoding="utf-8").splitlines() if line]
    first, last = lines[0], lines[-1]
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:
        handle.write(first.encode() + b"\n")
        handle.seek(2 * 1024**3, os.SEEK_CUR)  # 2 GiB of NUL bytes, never written
        handle.write(b"\n" + last.encode() + b"\n")
    assert path.stat().st_size > 2 * 1024**3
    code, out, err, peak_mb = ingest("import-jsonl", str(path), url=db_url)
    assert code == 3, err
    with db.reading(db_url) as session:
        reasons = session.scalars(select(RejectedRecord.reason).where(RejectedRecord.source == "import-jsonl")).all()
        stored = session.scalar(select(func.count()).select_from(Post).where(Post.collected.is_(True)))
    expected = sum(
        len(json.loads(line)["data"]) if isinstance(json.loads(line)["data"], list) else 1 for line in {first, last}
    )
    assert stored == expected and stored > 0
    assert reasons == ["the line has 2,147,483,649 bytes; lines over 64 MiB are not read (a corrupt file?)"]
    assert peak_mb < MEMORY_CEILING_MB, f"{peak_mb:.0f} MB"
    tally.bad_input("a 2 GiB JSONL whose middle line has no end (streamed, that line rejected)")
    tally.note(f"2 GiB JSONL: worker peak memory {peak_mb:.0f} MB")
