"""House rules that hold by test, not by habit: what the repository may reach and where."""

from __future__ import annotations

import re
import subprocess

from .conftest import ROOT

# Built from parts so that this file does not match itself.
OUTSIDE = re.compile(re.escape("..") + r"[/\\]" + "shared" + r"|" + "shared" + r"[/\\]real-data")


def project_files() -> list[str]:
    """Every file git would hand to someone who clones the repository (tracked or about to be)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [name for name in listed if (ROOT / name).is_file()]


def test_no_file_reaches_outside_the_repository():
    reaching = []
    for name in project_files():
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary files hold no paths we read
        reaching += [f"{name}:{number}" for number, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert reaching == [], "copy the data into tests/data (with its README) instead of reading beside the clone"


def test_every_test_data_folder_names_its_source_and_licence():
    folders = [path for path in (ROOT / "tests" / "data").iterdir() if path.is_dir()]
    assert folders
    for folder in folders:
        readme = (folder / "README.md").read_text(encoding="utf-8").lower()
        assert "licence" in readme or "license" in readme, folder.name
        for data in folder.iterdir():
            if data.name != "README.md":
                assert data.name.lower() in readme, f"{folder.name}/{data.name} is not in its folder's README"
