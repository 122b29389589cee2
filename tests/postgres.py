"""A throwaway PostgreSQL server for the tests: a real cluster in a temporary folder, on a free port.

``TEST_POSTGRES_URL`` (a superuser's ``postgresql+psycopg://`` URL) uses a server that is already
running instead. Without either, PostgreSQL tests are skipped on a developer's machine and fail in CI.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

_numbers = count(1)


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A running cluster; ``database()`` hands out a fresh database copied from a prepared template."""

    def __init__(self, admin_url: str, stop=None):
        self.admin_url = admin_url
        self._stop = stop
        self.template: str | None = None

    def url(self, name: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    def _admin(self, statement: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def database(self, prepare=None) -> str:
        """A new database: a copy of the template (prepared once with ``prepare(url)``)."""
        if self.template is None:
            self.template = f"engagement_template_{os.getpid()}"
            self._admin(f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)")
            self._admin(f"CREATE DATABASE {self.template}")
            if prepare:
                prepare(self.url(self.template))
        name = f"engagement_test_{os.getpid()}_{next(_numbers)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {self.template}")
        return self.url(name)

    def empty_database(self) -> str:
        """A new database with no schema at all."""
        name = f"engagement_empty_{os.getpid()}_{next(_numbers)}"
        self._admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop(self, url: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def stop(self) -> None:
        if self._stop:
            self._stop()


def start() -> Server:
    configured = os.environ.get("TEST_POSTGRES_URL")
    if configured:
        return Server(configured)
    binaries = _binaries()
    if binaries is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: .ci/run installs Debian's postgresql")
        pytest.skip("PostgreSQL is not installed here (Debian: apt-get install postgresql); CI runs these")
    folder = Path(tempfile.mkdtemp(prefix="engagement-pg-"))
    data, port = folder / "data", _free_port()
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        shutil.chown(folder, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *as_postgres,
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run(
        [
            *as_postgres,
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )

    def stop() -> None:
        subprocess.run(
            [*as_postgres, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)

    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + 30
    while True:
        try:
            engine = create_engine(url)
            with engine.connect():
                pass
            engine.dispose()
            break
        except Exception:
            if time.monotonic() > deadline:
                stop()
                raise
            time.sleep(0.2)
    return Server(url, stop)
