"""Orchestration only: which stage runs when, on which partition, with which retries.

Prefect keeps its state under the project data folder; that must be set before Prefect is
imported anywhere, so it happens here, first.
"""

from pydantic import ValidationError

from dtsen.settings import configure_prefect_home

try:
    configure_prefect_home()
except ValidationError:
    pass  # a DTSEN_* setting that cannot be read: the command that reads it says which, in one line
