"""One session-wide harness: a private project folder, one Prefect test server, and the
local database servers (which must be there in CI)."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Before anything imports Prefect or reads the settings.
_HOME = Path(tempfile.mkdtemp(prefix="dtsen-test-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ["DTSEN_HOME"] = str(_HOME)
os.environ.setdefault("DTSEN_DUCKDB_MEMORY_LIMIT", "2GB")
# One pseudonymisation key for the session (and its subprocesses): tests compute tokens with it.
os.environ["DTSEN_PSEUDONYM_KEY"] = "kunci-uji-pseudonim-untuk-seluruh-sesi-pytest-0001"

MARIADB_URL = os.environ.get("DTSEN_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
POSTGRES_URL = os.environ.get("DTSEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def command_env(**extra: str) -> dict[str, str]:
    """The environment of a `dtsen` subprocess: this session's PREFECT_ and DTSEN_ settings
    left out (the command gets only what a test gives it), but the session's pseudonymisation
    key kept: a subprocess publishing into a warehouse the tests published to must hold it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DTSEN_"))}
    return env | {"DTSEN_PSEUDONYM_KEY": os.environ["DTSEN_PSEUDONYM_KEY"]} | extra


def own_warehouse(request, tmp_path: Path, **settings):
    """Settings for one test's own warehouse on the catalog database `request.param` names
    (`sqlite`, `postgresql`), under a catalog name of its own: tests sharing the PostgreSQL
    database never see each other's tables, credentials or audit lines."""
    import uuid

    from dtsen.settings import Settings

    url = None
    if request.param == "postgresql":
        request.getfixturevalue("postgres")  # fails under CI when the server is missing
        url = POSTGRES_URL
    name = f"uji_{uuid.uuid4().hex[:10]}"
    return Settings(home=tmp_path / "home", catalog_url=url, catalog_name=name, **settings)


@pytest.fixture(scope="session")
def dtsen_home() -> Path:
    return _HOME


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def _server(url: str, what: str):
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as e:
        engine.dispose()
        message = f"{what} not reachable at {sa.make_url(url).render_as_string()}: {type(e).__name__}"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI has the servers: their absence is a failure, not a skip
        pytest.skip(message)
    return engine


@pytest.fixture(scope="session")
def mariadb():
    engine = _server(MARIADB_URL, "MariaDB")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres():
    engine = _server(POSTGRES_URL, "PostgreSQL")
    yield engine
    engine.dispose()


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    from tests.delivery_kecil import write_delivery

    return write_delivery(tmp_path / "deliveries")
