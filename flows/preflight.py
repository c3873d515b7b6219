"""What a command checks before anything expensive starts (Prefect's server, a flow, a
scan of the data): the folders and files it was given exist and are what they claim to
be. Each check raises InputError or DeliveryError with the path and what to do; none reads
more than a file header, a small JSON file or a directory listing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from transforms.errors import DeliveryError, InputError
from transforms.ingest.extracts import BY_NAME
from transforms.ingest.land import delivery_extracts, parse_cutoff

if TYPE_CHECKING:  # SQLAlchemy only when a source is pulled: `dtsen --help` stays quick
    from transforms.ingest.sql_source import SqlSource

NIK_DIGITS = 16


def sql_sources(specs: list[str]) -> list[SqlSource]:
    """Each `--sql` names a known extract and a usable target (a setting that is set)."""
    from transforms.ingest.sql_source import SqlSource

    sources = []
    for spec in specs:
        try:
            source = SqlSource.parse(spec)
        except ValueError as e:
            raise InputError(str(e)) from None
        if source.extract not in BY_NAME:
            raise InputError(f"--sql {source.extract}: no such extract; use one of {', '.join(sorted(BY_NAME))}")
        source.url  # noqa: B018  a setting that is not set fails here, before the run
        sources.append(source)
    return sources


def delivery(folder: Path, sql: list[SqlSource]) -> Path:
    """The delivery folder exists, is named by its cut-off, and holds every extract file
    (those pulled from SQL excepted), each with the columns the contract names."""
    from transforms.ingest.readers import check_header

    folder = Path(folder)
    if not folder.is_dir():
        raise DeliveryError(
            str(folder),
            "delivery folder not found",
            hint="Pass the folder <root>/<YYYY-MM-DD> that holds the month's extracts",
        )
    parse_cutoff(folder)
    for extract, file in delivery_extracts(folder, frozenset(s.extract for s in sql)):
        check_header(extract, file)
    return folder


def model_pmt(path: Path | None) -> Path | None:
    """A welfare model file to reuse is one this project wrote and nobody changed."""
    if path is None:
        return None
    from transforms.rank.model import ModelFileError, load

    try:
        load(Path(path))
    except ModelFileError as e:
        raise InputError(str(e)) from None
    return Path(path)


def run_folder(run: Path, needs: tuple[str, ...] = ()) -> dict:
    """A finished run folder (it has its manifest, written last) and the outputs a command
    reads; returns the manifest."""
    run = Path(run)
    manifest = run / "manifest.json"
    if not run.is_dir():
        raise InputError(f"{run}: no such run folder; runs are under DTSEN_HOME/runs/<cutoff>_<fingerprint>")
    if not manifest.is_file():
        raise InputError(
            f"{run}: not a finished run (it has no manifest.json); re-run `dtsen refresh` on its delivery to finish it"
        )
    try:
        content = json.loads(manifest.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(f"{manifest}: not a readable manifest; restore it or re-run the delivery") from None
    for rel in needs:
        if not (run / rel).exists():
            raise InputError(
                f"{run}: {rel} is missing; the run stopped before that stage "
                f"(quality status {content.get('mutu', {}).get('status', 'unknown')})"
            )
    return content


def nik(value: str) -> str:
    """A NIK is 16 digits; anything else cannot be looked up (and is not echoed back)."""
    value = value.strip()
    if len(value) != NIK_DIGITS or not value.isdigit():
        raise InputError(
            f"a NIK has {NIK_DIGITS} digits; the value given has {len(value)} character"
            + ("" if len(value) == 1 else "s")
            + ("" if value.isdigit() else ", not all digits")
        )
    return value


def iso_date(option: str, value: str):
    """A date written YYYY-MM-DD."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{option} {value}: write the date as YYYY-MM-DD") from None


def date_range(root: Path, start: str, end: str) -> tuple[Path, str, str]:
    """A backfill's root folder exists and its range is two ISO dates, oldest first."""
    import datetime as dt

    if not Path(root).is_dir():
        raise InputError(f"--root {root}: no such folder; pass the folder holding <YYYY-MM-DD>/ deliveries")
    try:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError:
        raise InputError(f"--start {start} --end {end}: write both dates as YYYY-MM-DD") from None
    if first > last:
        raise InputError(f"--start {start} is after --end {end}")
    return Path(root), start, end
