from __future__ import annotations

import pytest

from dtsen.settings import Settings
from tests.conftest import own_warehouse


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request, tmp_path) -> Settings:
    """Settings for one test's own warehouse, on each catalog database."""
    return own_warehouse(request, tmp_path)


@pytest.fixture
def catalog(settings):
    from warehouse import open_catalog

    return open_catalog(settings)
