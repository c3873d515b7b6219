from __future__ import annotations

import uuid

import pytest

from dtsen.settings import Settings
from tests.conftest import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request, tmp_path) -> Settings:
    """Settings for one test's own warehouse, on each catalog database."""
    url = None
    if request.param == "postgresql":
        request.getfixturevalue("postgres")  # fails under CI when the server is missing
        url = POSTGRES_URL
    # A catalog name of its own: tests sharing the PostgreSQL database never see each other
    # (their tables, their credentials, their audit lines).
    return Settings(home=tmp_path / "home", catalog_url=url, catalog_name=f"uji_{uuid.uuid4().hex[:10]}")


@pytest.fixture
def catalog(settings):
    from warehouse import open_catalog

    return open_catalog(settings)
