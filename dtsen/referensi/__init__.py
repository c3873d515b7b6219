"""Reference data the project carries inside the package, so that it stands alone:
the official Kemendagri 2025 region list (source and licence in README.md beside it)."""

from __future__ import annotations

from pathlib import Path

WILAYAH_KEMENDAGRI_2025 = Path(__file__).with_name("wilayah_kemendagri_2025.csv.gz")

# The word `dtsen synth --regions` takes for the list above.
KEMENDAGRI = "kemendagri"


def region_list(value: str | Path | None) -> Path | None:
    """`--regions`: None (synthetic regions), the word `kemendagri`, or a kode,nama file."""
    if value is None:
        return None
    return WILAYAH_KEMENDAGRI_2025 if str(value) == KEMENDAGRI else Path(value)


def province_codes() -> frozenset[str]:
    """The 38 province codes of the Kemendagri list (`11` ... `96`)."""
    import csv
    import gzip

    with gzip.open(WILAYAH_KEMENDAGRI_2025, "rt", encoding="utf-8") as f:
        return frozenset(row["kode"] for row in csv.DictReader(f) if len(row["kode"]) == 2)


def region_names() -> dict[str, str]:
    """Every code of the Kemendagri list without its dots (`3201`, `3201012001`) -> its name."""
    import csv
    import gzip

    with gzip.open(WILAYAH_KEMENDAGRI_2025, "rt", encoding="utf-8") as f:
        return {row["kode"].replace(".", ""): row["nama"] for row in csv.DictReader(f)}
