"""House rules that hold by test, not by habit: what the repository may reach and where."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from .helpers import ROOT

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


# --- Boundaries between the parts: each rule of docs/architecture.md's "House rules", read from the
# source with ``ast`` (imports as Python resolves them, not as a grep would guess).


def python_files() -> list[str]:
    return [name for name in project_files() if name.endswith(".py")]


def module_name(name: str) -> str:
    """``engagement/storage/db.py`` → ``engagement.storage.db``; a package's ``__init__`` is the package."""
    parts = name.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(name: str) -> set[str]:
    """Every module a file imports, anywhere in it (inside functions too), relative imports resolved."""
    tree = ast.parse((ROOT / name).read_text(encoding="utf-8"), filename=name)
    package = module_name(name).split(".")
    if not name.endswith("__init__.py"):
        package = package[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}  # `from tests import x` may be a module
    return found


def importing(prefix: str, names: list[str]) -> list[str]:
    """``file: module`` for every import of ``prefix`` (the package or anything in it) among ``names``."""
    return sorted(
        f"{name}: {module}"
        for name in names
        for module in imported(name)
        if module == prefix or module.startswith(prefix + ".")
    )


def test_nothing_imports_views():
    # The pages are scripts Streamlit runs (st.navigation by path), never modules to import.
    assert importing("views", python_files()) == []


def test_streamlit_only_in_the_ui_the_pages_and_the_entry_point():
    # tests/ and bench/ are harnesses that run the pages (streamlit.testing's AppTest, st.cache_data
    # between pages), as a browser would: they may import Streamlit. Everything else is the product.
    allowed = ("engagement/ui/", "views/", "dashboard.py", "tests/", "bench/")
    product = [name for name in python_files() if not name.startswith(allowed)]
    assert any(name.startswith("engagement/storage/") for name in product)
    assert importing("streamlit", product) == []


def test_pages_hold_no_sql():
    pages = [name for name in python_files() if name.startswith("views/")]
    assert pages
    assert importing("sqlalchemy", pages) + importing("sqlmodel", pages) == []


def test_the_worker_never_loads_the_ui():
    # Transitively, as Python loads it: a fresh interpreter imports the CLI and lists what came with it.
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, ingest.cli, ingest.__main__; print(*sorted(sys.modules))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "ingest.cli" in loaded and "engagement.storage.db" in loaded
    assert [m for m in loaded if m in ("streamlit", "views", "engagement.ui")] == []
    # And directly, in the source, including imports inside functions the import above never runs.
    worker = [name for name in python_files() if name.startswith("ingest/")]
    assert importing("engagement.ui", worker) + importing("streamlit", worker) == []


POST_INSERT_SQL = re.compile(r"\binsert\s+into\s+post\b(?!_)", re.IGNORECASE)


def inserts_posts(name: str) -> list[str]:
    """Where a file makes a post row: ``Post(…)``, ``insert(Post)``, ``Post.__table__.insert()``, or SQL
    ``INSERT INTO post`` in a string (the store's own executemany builds it from the name ``"post"``)."""
    tree = ast.parse((ROOT / name).read_text(encoding="utf-8"), filename=name)

    def is_post(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id == "Post") or (
            isinstance(node, ast.Attribute) and node.attr == "Post"
        )

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            name_of = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
            if is_post(function):
                found.append(f"{name}:{node.lineno} Post(…)")
            elif name_of == "insert" and node.args and is_post(node.args[0]):
                found.append(f"{name}:{node.lineno} insert(Post)")
            elif (
                name_of == "insert"
                and isinstance(function, ast.Attribute)
                and isinstance(function.value, ast.Attribute)
                and function.value.attr == "__table__"
                and is_post(function.value.value)
            ):
                found.append(f"{name}:{node.lineno} Post.__table__.insert()")
            elif name_of in ("_insert_many", "insert_many") and any(
                isinstance(arg, ast.Constant) and arg.value == "post" for arg in node.args
            ):
                found.append(f"{name}:{node.lineno} {name_of}(…, 'post', …)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and POST_INSERT_SQL.search(node.value):
            found.append(f"{name}:{node.lineno} INSERT INTO post")
    return found


def test_only_the_store_inserts_posts():
    # The product's code, migrations included (none inserts posts today). Tests build posts to test
    # with; bench/import_compare.py fills a throwaway table of its own that is also called "post".
    store = "engagement/collection/store.py"
    product = [name for name in python_files() if not name.startswith(("tests/", "bench/"))]
    assert inserts_posts(store), "the check no longer sees how the store inserts posts"
    assert [found for name in product if name != store for found in inserts_posts(name)] == []


def test_no_test_module_imports_another():
    # Shared helpers live in tests/helpers/, fixtures in conftest.py; a test module is never imported
    # (its tests would be collected twice, its fixtures shadowed by import).
    tests = [name for name in python_files() if name.startswith("tests/")]
    modules = {module_name(name) for name in tests}
    test_modules = {m for m in modules if m.rsplit(".", 1)[-1].startswith("test_") or m.endswith(".conftest")}
    offending = sorted(f"{name}: {module}" for name in tests for module in imported(name) if module in test_modules)
    assert offending == []
