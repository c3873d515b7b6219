"""Orchestration only: which stage runs when, on which partition, with which retries.

Prefect keeps its state under the project data folder; that must be set before Prefect is
imported anywhere, so it happens here, first.
"""

from dtsen.settings import configure_prefect_home

configure_prefect_home()
