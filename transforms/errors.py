"""Errors an operator can act on: which file, which row, which column, what to do."""

from __future__ import annotations


class DeliveryError(Exception):
    """A file of the delivery cannot be used at all. Nothing is published."""

    def __init__(self, file: str, problem: str, *, row: int | None = None, column: str | None = None, hint: str = ""):
        self.file, self.problem, self.row, self.column, self.hint = file, problem, row, column, hint
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column}"
        message = f"{where}: {problem}"
        if hint:
            message += f". {hint}"
        super().__init__(message)


class SourceUnavailable(DeliveryError):
    """The source could not be reached (database down, network): worth retrying."""


class InputError(Exception):
    """Something the operator named (a folder, a file, a value) cannot be used: the message
    says which and what to do. The command line ends it in one line, exit 2."""


class EngineError(Exception):
    """A stage's engine (DuckDB, pyarrow) stopped on something in the data. The message says
    which stage and what went wrong, with the value it stopped on blanked (it may be
    personal data). Nothing is published; the run folder and Prefect's log have the rest."""


class DiskFull(InputError):
    """The disk holding DTSEN_HOME is full: the operator's to free, then run again."""
