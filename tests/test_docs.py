"""The README and docs/ stay true to the code: every setting the code reads is in a configuration
table, every ``python -m ingest`` command is in the README's command list, and the README links
every docs page (and only pages that exist).

Three lists of settings, each checked against its own table:

- the app's and the worker's (``engagement/``, ``ingest/``, ``views/``, ``dashboard.py``,
  ``scripts/``, and the Makefile's ``NAME ?=``) → the README's configuration table;
- the tests' own (``tests/``: TEST_POSTGRES_URL, RELIABILITY_SEED, CI) → the table in
  docs/reliability.md;
- the benchmarks' own (``bench/``: BENCH_TMP) → docs/performance.md.

A setting is found where it is read: ``os.environ.get("NAME")``, ``os.environ["NAME"]``,
``os.getenv("NAME")``, ``setting("NAME")`` / ``auth.setting("NAME")`` (environment, then the
Streamlit secrets), ``_env_int("NAME", …)`` (the Q&A limits), ``${NAME:-default}`` in a shell
script; and, in the app's and worker's files that read the environment at all, every upper-case
string literal shaped like a variable name, since some names are read through a tuple
(``auth.PASSWORDS``, ``settings.redact``).
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from ingest.cli import build_parser

from .helpers import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
APP_SOURCES = ["engagement", "ingest", "views", "scripts/demo.sh", "scripts/screenshots.py", "dashboard.py"]
# The tests' own scripts: their settings belong in docs/reliability.md.
TEST_SOURCES = ["tests", "scripts/test-under-load.sh"]
SYSTEM = {"PATH", "HOME", "PWD"}  # the operating system's, passed through to child processes

READ = re.compile(
    r"""(?:environ\.get|environ\.setdefault|getenv|setting|_env_int)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]"""
)
SHELL_READ = re.compile(r"\$\{([A-Z][A-Z0-9_]*):?-")
MAKE_DEFAULT = re.compile(r"^([A-Z][A-Z0-9_]*)\s*\?=", re.MULTILINE)
READS_ENVIRONMENT = re.compile(r"\benviron\b|\bgetenv\b|\bsetting\(")
VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


def _files(sources: list[str], suffix: str) -> list[Path]:
    found = []
    for source in sources:
        path = ROOT / source
        found += [path] if path.is_file() and path.suffix == suffix else sorted(path.rglob(f"*{suffix}"))
    # Hidden folders are not the project's code: bench/.venv-twarc holds twarc-csv's own packages.
    found = [path for path in found if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)]
    return [path for path in found if path != Path(__file__).resolve()]  # this file names examples


def settings_read(sources: list[str], *, literals: bool) -> dict[str, set[str]]:
    """Each setting name the code in ``sources`` reads, with the files that read it."""
    found: dict[str, set[str]] = {}

    def note(name: str, path: Path) -> None:
        if name not in SYSTEM:
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))

    for path in _files(sources, ".py"):
        text = path.read_text(encoding="utf-8")
        for match in READ.finditer(text):
            note(match.group(1) or match.group(2), path)
        if literals and READS_ENVIRONMENT.search(text):
            for node in ast.walk(ast.parse(text)):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and VARIABLE_NAME.fullmatch(node.value)
                ):
                    note(node.value, path)
    for path in _files(sources, ".sh"):
        for match in SHELL_READ.finditer(path.read_text(encoding="utf-8")):
            note(match.group(1), path)
    return found


def app_settings() -> dict[str, set[str]]:
    found = settings_read(APP_SOURCES, literals=True)
    for name in MAKE_DEFAULT.findall((ROOT / "Makefile").read_text(encoding="utf-8")):
        found.setdefault(name, set()).add("Makefile")
    return found


def section(text: str, heading: str) -> str:
    """The text under the first heading that contains ``heading``, up to the next heading of its level."""
    match = re.search(rf"^(#+) [^\n]*{re.escape(heading)}[^\n]*$", text, re.MULTILINE | re.IGNORECASE)
    assert match, f"no heading containing {heading!r}"
    level = len(match.group(1))
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def table_names(text: str) -> set[str]:
    """Every `NAME` in the first column of the markdown tables in ``text``."""
    names = set()
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            first = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", first))
    return names


def readme() -> str:
    return README.read_text(encoding="utf-8")


def configuration_table() -> set[str]:
    return table_names(section(readme(), "Configuration"))


def commands() -> list[str]:
    """Every command of ``python -m ingest``: its subcommands, and nested ones such as ``db upgrade``
    (a positional argument with choices, or a subparser of a subcommand)."""

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> list[str]:
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    nested = walk(sub, prefix + [name])
                    found += nested or [" ".join(prefix + [name])]
            elif prefix and not action.option_strings and action.choices:
                found += [" ".join(prefix + [str(choice)]) for choice in action.choices]
        return found

    return walk(build_parser(), [])


def command_list() -> str:
    return section(readme(), "Commands")


def readme_links() -> set[str]:
    """The docs/ pages the README links to (anchors dropped)."""
    return {target.split("#")[0] for target in re.findall(r"\]\((docs/[^)\s]+)\)", readme())}


def test_the_readme_is_a_front_door():
    text = readme()
    assert len(text.splitlines()) <= 150
    assert re.search(r"^#+ .*Quick start", text, re.MULTILINE)
    for picture in ("docs/images/engagement.png", "docs/images/queue.png"):
        assert f"]({picture})" in text and (ROOT / picture).is_file(), picture


def test_every_setting_the_app_and_worker_read_is_in_the_readmes_configuration_table():
    found = app_settings()
    assert {"DATABASE_URL", "ORGANISER_PASSWORD", "QA_VOTES_PER_MINUTE", "PORT"} <= set(found)  # the scan works
    missing = {name: sorted(where) for name, where in found.items() if name not in configuration_table()}
    assert missing == {}, "add these to the README's configuration table (variable, default, what it is)"


def test_every_setting_in_the_configuration_table_is_read_somewhere():
    stale = configuration_table() - set(app_settings())
    assert stale == set(), "the README's configuration table lists settings no code reads"


def test_the_tests_and_benchmarks_settings_are_in_their_docs_pages():
    documented = configuration_table()
    tests = set(settings_read(TEST_SOURCES, literals=False)) - documented
    assert {"TEST_POSTGRES_URL", "RELIABILITY_SEED"} <= tests  # the scan works
    missing = tests - table_names((DOCS / "reliability.md").read_text(encoding="utf-8"))
    assert missing == set(), "add the tests' own settings to the table in docs/reliability.md"
    bench = set(settings_read(["bench"], literals=False)) - documented
    performance = (DOCS / "performance.md").read_text(encoding="utf-8")
    missing = {name for name in bench if f"`{name}`" not in performance}
    assert missing == set(), "describe the benchmarks' own settings in docs/performance.md"


def test_every_ingest_command_is_in_the_readmes_command_list():
    found = commands()
    assert {"x-poll", "import-jsonl", "db upgrade", "db recount"} <= set(found)  # the walk works
    listed = command_list()
    missing = [
        name
        for name in found
        if not re.search(rf"^python -m ingest {re.escape(name)}(?=[\s\[]|$)", listed, re.MULTILINE)
    ]
    assert missing == [], "add a line for each to the README's command list"


def test_every_line_of_the_command_list_is_a_real_command():
    found = set(commands())
    for line in re.findall(r"^python -m ingest (.+)$", command_list(), re.MULTILINE):
        words = line.split()
        assert words[0] in found or " ".join(words[:2]) in found, line


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_every_docs_page_is_linked_from_the_readme(page):
    assert f"docs/{page}" in readme_links()


def test_every_docs_page_the_readme_links_exists():
    assert readme_links(), "the README links no docs page"
    for target in readme_links():
        assert (ROOT / target).exists(), target


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a markdown file."""
    headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("page", ["README.md"] + sorted(f"docs/{p.name}" for p in DOCS.glob("*.md")))
def test_links_lead_to_files_and_headings_that_exist(page):
    path = ROOT / page
    for target, anchor in re.findall(r"\]\(([^)\s#]*)(?:#([^)\s]*))?\)", path.read_text(encoding="utf-8")):
        if "://" in target:
            continue
        linked = (path.parent / target).resolve() if target else path
        assert linked.exists(), f"{page}: {target}"
        if anchor:
            assert anchor in anchors(linked), f"{page}: {target}#{anchor}"
