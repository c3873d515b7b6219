"""Landing: an immutable, checksummed raw copy of one delivery.

A delivery is landed once per content: its fingerprint is the SHA-256 over the sorted
(path, file SHA-256) pairs, so a re-run of the same delivery finds its landed copy and
says so instead of copying again.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from transforms.errors import DeliveryError, DiskFull
from transforms.ingest.extracts import EXTRACTS, Extract

CHECKSUMS = "checksums.json"
_CHUNK = 8 << 20


@dataclass
class LandedDelivery:
    path: Path
    cutoff: dt.date
    fingerprint: str
    files: dict[str, dict] = field(default_factory=dict)  # relative path -> {sha256, bytes}
    reused: bool = False

    @property
    def run_id(self) -> str:
        return f"{self.cutoff.isoformat()}_{self.fingerprint[:12]}"

    def to_json(self) -> dict:
        d = asdict(self)
        d["path"], d["cutoff"] = str(self.path), self.cutoff.isoformat()
        return d


def parse_cutoff(delivery: Path) -> dt.date:
    """The delivery folder is named by its cut-off date (docs/contract.md)."""
    try:
        return dt.date.fromisoformat(delivery.name)
    except ValueError:
        raise DeliveryError(
            str(delivery),
            "the delivery folder is not named by a cut-off date",
            hint="Name it YYYY-MM-DD, e.g. deliveries/2026-11-17",
        ) from None


def delivery_files(delivery: Path, skip: frozenset[str] = frozenset()) -> list[Path]:
    """Every extract file the contract expects (docs/contract.md); a missing one is a clear error."""
    return [f for _, f in delivery_extracts(delivery, skip)]


def delivery_extracts(delivery: Path, skip: frozenset[str] = frozenset()) -> list[tuple[Extract, Path]]:
    """Each extract file with the contract's entry for it; a missing or misnamed one is a clear error."""
    files: list[tuple[Extract, Path]] = []
    for extract in EXTRACTS:
        if extract.name in skip:
            continue
        found = sorted(delivery.glob(extract.pattern))
        if not found:
            raise DeliveryError(
                str(delivery / extract.pattern),
                "file is missing from the delivery",
                hint="Check the delivery is complete (docs/contract.md lists every file)",
            )
        if extract.per_province:
            for f in found:
                if not PROVINCE_FILE.fullmatch(f.name):
                    raise DeliveryError(
                        str(f), "not a province file name: one file per province, named dtks_<PP>.csv",
                        hint="Rename it after its 2-digit province code, or take out a copy delivered twice",
                    )  # fmt: skip
        files.extend((extract, f) for f in found)
    return files


def _has_rows(file: Path) -> bool:
    with file.open("rb") as f:
        return f.read(1 << 16).rstrip(b"\r\n").count(b"\n") >= 1


PROVINCE_FILE = re.compile(r"dtks_\d{2}\.csv")


def refuse_copies(files: dict[str, dict], folder: Path) -> None:
    """The same file delivered under two names would count its rows twice. (Two files with
    a header and no rows are alike without being copies: the quality gate speaks of those.)"""
    seen: dict[str, str] = {}
    for rel, meta in sorted(files.items()):
        if meta["sha256"] in seen and _has_rows(folder / rel):
            raise DeliveryError(
                rel, f"has the same content as {seen[meta['sha256']]}: one file was delivered twice",
                hint="Take out the copy, or ask for the missing file",
            )  # fmt: skip
        seen[meta["sha256"]] = rel


def _copy_with_sha256(src: Path, dst: Path) -> dict:
    digest, size = hashlib.sha256(), 0
    dst.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(_CHUNK):
            digest.update(chunk)
            fout.write(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "bytes": size}


def fingerprint(files: dict[str, dict]) -> str:
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(f"{rel}\0{files[rel]['sha256']}\n".encode())
    return digest.hexdigest()


def land_delivery(
    delivery: Path, landed_root: Path, extra: dict[str, Path] | None = None, skip: frozenset[str] = frozenset()
) -> LandedDelivery:
    """Copy a delivery into `landed_root/<cutoff>/<fingerprint>/`, read-only.

    `extra` adds files pulled from elsewhere (SQL sources) under their landed names;
    `skip` names extracts that come from there instead of the delivery folder.
    """
    delivery = delivery.resolve()
    if not delivery.is_dir():
        raise DeliveryError(str(delivery), "delivery folder not found")
    cutoff = parse_cutoff(delivery)
    sources = {str(p.relative_to(delivery)): p for p in delivery_files(delivery, skip)}
    sources.update(extra or {})

    staging = landed_root / cutoff.isoformat() / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        files = {rel: _copy_with_sha256(src, staging / rel) for rel, src in sorted(sources.items())}
        refuse_copies(files, staging)
    except BaseException as e:  # a refused delivery, a full disk, a kill: no half copy stays
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            raise DiskFull(f"{landed_root}: no space left to land the delivery; free space there "
                           "(or point DTSEN_HOME at a larger disk) and run again") from None  # fmt: skip
        raise
    fp = fingerprint(files)
    final = landed_root / cutoff.isoformat() / fp[:16]
    landed = LandedDelivery(final, cutoff, fp, files)
    if (final / CHECKSUMS).exists():
        shutil.rmtree(staging)
        landed.reused = True
        return landed
    (staging / CHECKSUMS).write_text(json.dumps(landed.to_json() | {"path": str(final)}, indent=1))
    for p in staging.rglob("*"):
        if p.is_file():
            p.chmod(0o444)  # immutable by convention: the raw copy is evidence
    shutil.rmtree(final, ignore_errors=True)  # a half-landed copy of an earlier crash
    os.replace(staging, final)
    return landed


def verify_landed(landed: LandedDelivery) -> list[str]:
    """Files whose content no longer matches the checksum taken at landing."""
    bad = []
    for rel, meta in landed.files.items():
        digest = hashlib.sha256()
        with (landed.path / rel).open("rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != meta["sha256"]:
            bad.append(rel)
    return bad
