"""The fault corpus: one generated delivery, damaged one way per case the way real exports
break, refreshed over a home that holds one good snapshot of it. Each case names its
outcome:

    REFUSED      DeliveryError naming the file (row, column where one applies); the CLI exits 2
                 with one line `refresh failed: ...`; cases 1-4 before anything expensive starts
    TOLERATED    published, with the good delivery's counts
    QUARANTINED  published, the bad rows quarantined under the named rule and counted
    STOPPED      the quality gate stops the run (QualityError naming the rule, CLI exit 3)

and for every case: nothing new becomes current unless the outcome publishes, and no NIK,
name or birth date of the delivery reaches the exception, the console, the log records, the
Prefect logs, state messages and artifacts, or the run's written artifacts (manifest.json,
laporan.html, mutu/). The data tables (landed copy, standardized, karantina, ...) hold
personal data by design and are not searched.

Cases run in list order: those that must publish nothing first, then those that publish.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from synthetic import generate_delivery
from tests.conftest import command_env

ROOT = Path(__file__).resolve().parent.parent
DTSEN = str(ROOT / ".venv" / "bin" / "dtsen")
CUTOFF = dt.date(2026, 11, 17)
PERSONS, SEED = 2_000, 20261117
PROVINCES = ("32", "33", "34", "35", "36")

REFUSED, TOLERATED, QUARANTINED, STOPPED = "REFUSED", "TOLERATED", "QUARANTINED", "STOPPED"
PUBLISHES = (TOLERATED, QUARANTINED)

REGISTRY = "dukcapil/penduduk.parquet"
DTKS_ENCODING, P3KE_ENCODING = "cp1252", "utf-8"

pytestmark = pytest.mark.usefixtures("prefect_harness")


# --- the module's home: one good snapshot --------------------------------------------------


@dataclass
class Corpus:
    good: Path  # the generated delivery <root>/<cutoff>
    home: Path
    run_dir: Path  # the good delivery's run
    manifest: dict
    snapshot: tuple[str, str]  # (tag, run_id) of the good snapshot
    api_url: str  # the session's Prefect server, for the CLI subprocesses


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Iterable[Corpus]:
    from prefect.settings import PREFECT_API_URL

    from dtsen.settings import get_settings
    from flows.refresh import refresh

    root = tmp_path_factory.mktemp("fault-corpus")
    good = generate_delivery(root / "good", PERSONS, SEED, CUTOFF, regions=regions_file(root / "wilayah.csv"))
    assert sorted(p.name for p in (good / "dtks").iterdir()) == [f"dtks_{p}.csv" for p in PROVINCES]
    settings = get_settings()
    home, old_home = root / "home", settings.home
    patch = pytest.MonkeyPatch()
    settings.home = home  # the module's own home: one good snapshot, whatever ran before
    patch.setenv("DTSEN_HOME", str(home))
    try:
        manifest_path = Path(refresh(str(good)))
        manifest = json.loads(manifest_path.read_text())
        assert manifest["terbit"]["baru"] is True and manifest["mutu"]["status"] != "GAGAL"
        snapshot = current_snapshot()
        assert snapshot is not None and snapshot[1] == manifest["run_id"]
        yield Corpus(good, home, manifest_path.parent, manifest, snapshot, str(PREFECT_API_URL.value()))
    finally:
        settings.home = old_home
        patch.undo()


def regions_file(path: Path) -> Path:
    """Five provinces of the packaged Kemendagri list, two districts of one regency each: a
    DTKS file per province, and few enough partitions to run two dozen refreshes."""
    with gzip.open(ROOT / "dtsen/referensi/wilayah_kemendagri_2025.csv.gz", "rt", encoding="utf-8") as f:
        rows = list(csv.reader(f))

    def kept(kode: str) -> bool:
        return kode[:2] in PROVINCES and (
            len(kode) == 2 or (kode[3:5] == "01" and (len(kode) == 5 or kode[6:8] in ("01", "02")))
        )

    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([rows[0], *(r for r in rows[1:] if kept(r[0]))])
    return path


def current_snapshot() -> tuple[str, str] | None:
    from dtsen.settings import get_settings
    from warehouse import current, open_catalog

    snapshot = current(open_catalog(get_settings()))
    return None if snapshot is None else (snapshot.tag, snapshot.run_id)


# --- damage, the way real exports break ----------------------------------------------------


@dataclass
class Damaged:
    """What a damage function did: the files it changed (relative paths), the data row it
    broke where one applies, and personal values it wrote that the files' parse may miss."""

    files: list[str]
    row: int | None = None
    values: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)


def lines_of(path: Path, encoding: str) -> tuple[list[str], str]:
    """The file's lines without their ends, and the line end it uses."""
    text = path.read_bytes().decode(encoding)
    end = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(end)
    if lines and lines[-1] == "":
        lines.pop()
    return lines, end


def write_lines(path: Path, lines: list[str], encoding: str, end: str) -> None:
    path.write_bytes((end.join(lines) + end).encode(encoding))


def dtks_rows(path: Path) -> tuple[list[str], list[list[str]], str]:
    """DTKS: Windows-1252, `;`, no quoting: header, data rows as fields, line end."""
    lines, end = lines_of(path, DTKS_ENCODING)
    return lines[0].split(";"), [line.split(";") for line in lines[1:]], end


def write_dtks(path: Path, header: list[str], rows: list[list[str]], end: str) -> None:
    write_lines(path, [";".join(header)] + [";".join(r) for r in rows], DTKS_ENCODING, end)


def registry_text_dates(folder: Path) -> Damaged:
    """The registry re-exported with TGL_LHR as text ('1985-02-05'), not a date column."""
    f = folder / REGISTRY
    table = pq.read_table(f)
    i = table.schema.get_field_index("TGL_LHR")
    as_text = pc.strftime(table["TGL_LHR"], format="%Y-%m-%d")
    pq.write_table(table.set_column(i, pa.field("TGL_LHR", pa.string()), as_text), f)
    return Damaged([REGISTRY])


def stray_quote(at_start: bool) -> Callable[[Path], Damaged]:
    def damage(folder: Path) -> Damaged:
        f = folder / "dtks/dtks_32.csv"
        header, rows, end = dtks_rows(f)
        nama = header.index("NAMA")
        row = next(i for i, r in enumerate(rows, start=1) if i >= 3 and " " in r[nama])
        first, rest = rows[row - 1][nama].split(" ", 1)
        rows[row - 1][nama] = f'"{first} {rest}' if at_start else f'{first} "{rest}'
        write_dtks(f, header, rows, end)
        return Damaged(["dtks/dtks_32.csv"], row=row, values=rows[row - 1], info={"line": rows[row - 1]})

    damage.__doc__ = (
        "A name typed with a double quote "
        + ('before it (`"SITI AMINAH`)' if at_start else 'in it (`SITI "AMINAH`)')
        + ", in an export without quoting."
    )
    return damage


def dtks_copied_over_another_province(folder: Path) -> Damaged:
    """Province 33's file replaced by a copy of 32's (same bytes under two names)."""
    shutil.copyfile(folder / "dtks/dtks_32.csv", folder / "dtks/dtks_33.csv")
    return Damaged(["dtks/dtks_32.csv", "dtks/dtks_33.csv"])


def dtks_delivered_twice(folder: Path) -> Damaged:
    """A second copy of a province file beside it, as a download manager names it."""
    shutil.copyfile(folder / "dtks/dtks_32.csv", folder / "dtks/dtks_32 (1).csv")
    return Damaged(["dtks/dtks_32 (1).csv"])


def dtks_missing_column(folder: Path) -> Damaged:
    """An export without the JNS_KEL column."""
    f = folder / "dtks/dtks_34.csv"
    header, rows, end = dtks_rows(f)
    i = header.index("JNS_KEL")
    write_dtks(f, header[:i] + header[i + 1 :], [r[:i] + r[i + 1 :] for r in rows], end)
    return Damaged(["dtks/dtks_34.csv"])


def registry_truncated(folder: Path) -> Damaged:
    """A transfer cut short: the first half of the Parquet file's bytes."""
    f = folder / REGISTRY
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 2])
    return Damaged([REGISTRY])


def p3ke_short_row(folder: Path) -> Damaged:
    """A P3KE family row that lost its last field."""
    f = folder / "p3ke/p3ke_keluarga.csv"
    lines, end = lines_of(f, P3KE_ENCODING)
    row = next(i for i in range(4, len(lines)) if '"' not in lines[i])  # lines[i] is data row i
    lines[row] = lines[row][: lines[row].rindex(",")]
    write_lines(f, lines, P3KE_ENCODING, end)
    return Damaged(["p3ke/p3ke_keluarga.csv"], row=row)


def dtks_extra_field(folder: Path) -> Damaged:
    """A DTKS row with one field too many (a `;` typed inside the address)."""
    f = folder / "dtks/dtks_35.csv"
    header, rows, end = dtks_rows(f)
    row = 5
    alamat = header.index("ALAMAT")
    rows[row - 1][alamat] = rows[row - 1][alamat].replace(" ", "; ", 1)
    if len(rows[row - 1]) == len(header):  # an address without a space
        rows[row - 1][alamat] += ";"
    write_dtks(f, header, rows, end)
    return Damaged(["dtks/dtks_35.csv"], row=row)


def header_only(rel: str, encoding: str) -> Callable[[Path], Damaged]:
    def damage(folder: Path) -> Damaged:
        lines, end = lines_of(folder / rel, encoding)
        write_lines(folder / rel, lines[:1], encoding, end)
        return Damaged([rel])

    damage.__doc__ = f"{rel} exported with its header only"
    return damage


def dtks_province_missing(folder: Path) -> Damaged:
    """One province's file did not arrive."""
    (folder / "dtks/dtks_33.csv").unlink()
    return Damaged([])


def registry_rows(select: Callable[[pa.Table], pa.Table]) -> Callable[[Path], Damaged]:
    def damage(folder: Path) -> Damaged:
        f = folder / REGISTRY
        pq.write_table(select(pq.read_table(f)), f)
        return Damaged([REGISTRY])

    return damage


registry_half = registry_rows(lambda t: t.take(list(range(0, t.num_rows, 2))))
registry_empty = registry_rows(lambda t: t.slice(0, 0))


def registry_doubled(folder: Path) -> Damaged:
    """Every registry row twice, as an export joined with itself."""
    f = folder / REGISTRY
    t = pq.read_table(f)
    pq.write_table(t.take([i // 2 for i in range(2 * t.num_rows)]), f)
    return Damaged([REGISTRY], info={"quarantined": t.num_rows, "read": 2 * t.num_rows})


def usulan_lines(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "usulan/usulan.jsonl").read_text().splitlines() if line.strip()]


def write_usulan(folder: Path, entries: list[dict]) -> None:
    (folder / "usulan/usulan.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))


def usulan_anggota_not_a_list(folder: Path) -> Damaged:
    """Two new-family proposals whose members are not a list: one object (the first member
    alone), one string (the list encoded twice, as a form builder does)."""
    entries = usulan_lines(folder)
    baru = [e for e in entries if e["jenis"] == "USUL_BARU" and len(e["keluarga"]["anggota"]) >= 2]
    assert len(baru) >= 2, "the generated delivery has too few new-family proposals for this case"
    baru[0]["keluarga"]["anggota"] = baru[0]["keluarga"]["anggota"][0]
    baru[1]["keluarga"]["anggota"] = json.dumps(baru[1]["keluarga"]["anggota"])
    write_usulan(folder, entries)
    return Damaged(["usulan/usulan.jsonl"], info={"quarantined": 2})


def usulan_negative_floor_area(folder: Path, published: set[str]) -> Damaged:
    """A verified correction of a published family that sets its floor area to -50 m2."""
    entries = usulan_lines(folder)
    fixes = [e for e in entries if e["jenis"] == "PERBAIKAN" and e["no_kk"] in published]
    assert fixes, "the generated delivery has no correction of a published family"
    chosen = next((e for e in fixes if e["status"] == "TERVERIFIKASI_DINSOS"), fixes[0])
    chosen["status"] = "TERVERIFIKASI_DINSOS"
    chosen["perubahan"] = (chosen["perubahan"] or {}) | {"r302": -50}
    write_usulan(folder, entries)
    return Damaged(["usulan/usulan.jsonl"], info={"quarantined": 1, "no_kk": chosen["no_kk"]})


def dtks_name_of_a_megabyte(folder: Path) -> Damaged:
    """A NAMA field of 1 MB (a name pasted over and over into the cell)."""
    f = folder / "dtks/dtks_32.csv"
    header, rows, end = dtks_rows(f)
    nama = header.index("NAMA")
    word = rows[1][nama] + " "
    big = (word * (1_000_000 // len(word) + 1))[:1_000_000].strip()
    rows[1][nama] = big
    write_dtks(f, header, rows, end)
    return Damaged(["dtks/dtks_32.csv"], values=[big], info={"quarantined": 1, "big": big})


def usulan_broken_json(folder: Path) -> Damaged:
    """Two lines that are not JSON: one cut short, one with an unescaped quote in a value."""
    f = folder / "usulan/usulan.jsonl"
    lines = f.read_text().splitlines()
    lines[1] = lines[1][: len(lines[1]) // 2]
    lines[4], replaced = re.subn(r'("kanal":\s*"\w{2})', r'\1"', lines[4], count=1)
    assert replaced == 1
    f.write_text("\n".join(lines) + "\n")
    return Damaged(["usulan/usulan.jsonl"], info={"quarantined": 2})


def p3ke_bom(folder: Path) -> Damaged:
    """P3KE saved by a spreadsheet as 'UTF-8 with BOM'."""
    f = folder / "p3ke/p3ke_keluarga.csv"
    f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())
    return Damaged(["p3ke/p3ke_keluarga.csv"])


def dtks_lower_case_header(folder: Path) -> Damaged:
    """A DTKS export whose header came out in lower case."""
    f = folder / "dtks/dtks_36.csv"
    lines, end = lines_of(f, DTKS_ENCODING)
    lines[0] = lines[0].lower()
    write_lines(f, lines, DTKS_ENCODING, end)
    return Damaged(["dtks/dtks_36.csv"])


def p3ke_padded_header(folder: Path) -> Damaged:
    """P3KE members with every header name padded by spaces (`ID_ANGGOTA_P3KE , ...`)."""
    f = folder / "p3ke/p3ke_anggota.csv"
    lines, end = lines_of(f, P3KE_ENCODING)
    lines[0] = ",".join(f" {name} " for name in lines[0].split(","))
    write_lines(f, lines, P3KE_ENCODING, end)
    return Damaged(["p3ke/p3ke_anggota.csv"])


def dtks_mixed_line_ends(folder: Path) -> Damaged:
    """A DTKS export (CRLF) whose second half went through a Unix tool (LF)."""
    f = folder / "dtks/dtks_33.csv"
    lines, end = lines_of(f, DTKS_ENCODING)
    assert end == "\r\n", "the generator writes DTKS with CRLF"
    half = len(lines) // 2
    f.write_bytes(("\r\n".join(lines[:half]) + "\r\n" + "\n".join(lines[half:]) + "\n").encode(DTKS_ENCODING))
    return Damaged(["dtks/dtks_33.csv"])


# --- the cases -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    damage: Callable[..., Damaged]
    outcome: str
    rule: str | None = None  # QUARANTINED, STOPPED
    extract: str | None = None  # QUARANTINED: the manifest's extract
    files: tuple[str, ...] = ()  # REFUSED: the files the error names
    column: str | None = None  # REFUSED: the column the error names
    row: bool = False  # REFUSED: the error names the damaged row
    preflight: bool = False  # REFUSED before the flow starts (`flows.preflight.delivery`)
    cli: bool = False  # also (REFUSED) or instead (others) through the installed `dtsen refresh`
    type_named: bool = False  # REFUSED: the problem names the column's type


CASES = [
    # 1-4: refused before anything expensive, through the command as well.
    Case(
        "01-registry-birth-dates-as-text",
        registry_text_dates,
        REFUSED,
        files=(REGISTRY,),
        column="TGL_LHR",
        preflight=True,
        cli=True,
        type_named=True,
    ),
    # A quote opening a field and never closed breaks the file's rows: found when the file is
    # read (standardizing, the first stage, before matching), named by file and row.
    Case(
        "02b-dtks-stray-double-quote-opening-a-name",
        stray_quote(at_start=True),
        REFUSED,
        files=("dtks/dtks_32.csv",),
        row=True,
        cli=True,
    ),
    Case(
        "03a-dtks-file-copied-over-another-province",
        dtks_copied_over_another_province,
        REFUSED,
        files=("dtks/dtks_32.csv", "dtks/dtks_33.csv"),
        preflight=True,
        cli=True,
    ),
    Case(
        "03b-dtks-file-delivered-twice-under-a-copy-name",
        dtks_delivered_twice,
        REFUSED,
        files=("dtks/dtks_32 (1).csv",),
        preflight=True,
        cli=True,
    ),
    Case(
        "04-dtks-missing-column",
        dtks_missing_column,
        REFUSED,
        files=("dtks/dtks_34.csv",),
        column="JNS_KEL",
        preflight=True,
        cli=True,
    ),
    # Refused today: keep them so.
    Case("registry-truncated", registry_truncated, REFUSED, files=(REGISTRY,), preflight=True),
    Case("p3ke-short-row", p3ke_short_row, REFUSED, files=("p3ke/p3ke_keluarga.csv",), row=True),
    Case("dtks-extra-field", dtks_extra_field, REFUSED, files=("dtks/dtks_35.csv",), row=True),
    # 11-16: the quality gate stops the run.
    Case("11-wilayah-header-only", header_only("referensi/wilayah.csv", "utf-8"), STOPPED, "EKSTRAK_TIDAK_KOSONG"),
    Case(
        "13-dtks-province-header-only",
        header_only("dtks/dtks_32.csv", DTKS_ENCODING),
        STOPPED,
        "PROVINSI_DTKS_LENGKAP",
        cli=True,
    ),
    Case("14-dtks-province-missing", dtks_province_missing, STOPPED, "PROVINSI_DTKS_LENGKAP"),
    Case("15-registry-empty", registry_empty, STOPPED, "EKSTRAK_TIDAK_KOSONG"),
    Case("12-registry-half-its-rows", registry_half, STOPPED, "BARIS_TIDAK_MENYUSUT"),
    # 8-10: published, the bad rows quarantined by name.
    Case("08-usulan-anggota-not-a-list", usulan_anggota_not_a_list, QUARANTINED, "ANGGOTA_TIDAK_VALID", "usulan"),
    Case(
        "09-usulan-verified-correction-negative-floor-area",
        usulan_negative_floor_area,
        QUARANTINED,
        "PERUBAHAN_TIDAK_VALID",
        "usulan",
    ),
    Case("10-dtks-name-of-a-megabyte", dtks_name_of_a_megabyte, QUARANTINED, "NAMA_TIDAK_WAJAR", "dtks"),
    Case("usulan-broken-json-lines", usulan_broken_json, QUARANTINED, "JSON_TIDAK_VALID", "usulan"),
    # Every registry row twice: the copies are quarantined as ID_GANDA (the first of each NIK
    # is kept), the doubled row count is warned of, and the snapshot is the same persons.
    Case("16-registry-every-nik-twice", registry_doubled, QUARANTINED, "ID_GANDA", "dukcapil_penduduk"),
    # 5-7: published as if nothing happened.
    # A quote inside a field is a character of the name as typed (CSV quotes only a field
    # that opens with one): read, cleaned by the name rules, published.
    Case("02a-dtks-stray-double-quote-inside-a-name", stray_quote(at_start=False), TOLERATED),
    Case("05-p3ke-utf8-bom", p3ke_bom, TOLERATED),
    Case("06-dtks-lower-case-header", dtks_lower_case_header, TOLERATED),
    Case("07-p3ke-space-padded-header", p3ke_padded_header, TOLERATED),
    Case("dtks-mixed-line-ends", dtks_mixed_line_ends, TOLERATED, cli=True),
]


# --- personal data: what must not leak ---------------------------------------------------

_DIGITS = re.compile(r"\D")
_DATE_FORMS = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{2}[-/]\d{2}[-/]\d{4})$")
LONG = 120  # a value longer than this is searched by its first LONG characters


@dataclass
class Personal:
    niks: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)

    def add(self, nik=None, name=None, date=None) -> None:
        if nik is not None:
            raw = str(nik).strip()
            digits = _DIGITS.sub("", raw)
            if len(digits) >= 15 and "E" not in raw.upper():
                self.niks |= {raw, digits}
        if name is not None:
            text = str(name).strip()
            if len(text) >= 6 and re.search(r"[A-Za-z]{3}", text):
                self.names.add(text[:LONG])
        if date is not None:
            text = str(date).strip()[:10]
            year = re.search(r"\d{4}", text)
            if _DATE_FORMS.match(text) and year and int(year.group()) < 2025:  # not a run's own dates
                self.dates.add(text)

    def patterns(self) -> list[re.Pattern]:
        return [
            p
            for p in (
                trie_regex(self.niks, r"(?<!\d)", ""),
                trie_regex(self.names, r"(?<![A-Za-z])", r"(?![A-Za-z])"),
                trie_regex(self.dates, r"(?<!\d)", r"(?!\d)"),
            )
            if p is not None
        ]


def trie_regex(words: Iterable[str], before: str, after: str) -> re.Pattern | None:
    """One regex for many literal strings (a trie): fast over megabytes of text."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}
    if not trie:
        return None

    def build(node: dict) -> str:
        alternatives = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        return f"(?:{body})?" if "" in node else body

    return re.compile(before + "(?:" + build(trie) + ")" + after)


def personal_from_file(values: Personal, path: Path, rel: str) -> None:
    """NIKs, names and birth dates of one delivery file, read as forgivingly as possible
    (a damaged file may not parse)."""
    if not path.is_file():
        return
    try:
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            cols = set(table.column_names)
            for r in table.select(
                [c for c in ("NIK", "NAMA_LGKP", "NAMA_LGKP_IBU", "TGL_LHR") if c in cols]
            ).to_pylist():
                values.add(r.get("NIK"), r.get("NAMA_LGKP"), r.get("TGL_LHR"))
                values.add(name=r.get("NAMA_LGKP_IBU"))
        elif path.suffix == ".csv":
            encoding = DTKS_ENCODING if rel.startswith("dtks/") else "utf-8-sig"
            text = path.read_bytes().decode(encoding, errors="replace")
            delimiter = ";" if rel.startswith("dtks/") else ","
            reader = csv.reader(
                io.StringIO(text), delimiter=delimiter, quoting=csv.QUOTE_NONE if delimiter == ";" else 0
            )
            header = [h.strip().upper() for h in next(reader, [])]
            for fields in reader:
                r = dict(zip(header, fields))
                values.add(r.get("NIK") or r.get("NIK_KEPALA_KELUARGA"), r.get("NAMA"), r.get("TGL_LAHIR"))
                values.add(name=r.get("NAMA_KEPALA_KELUARGA"), date=r.get("TANGGAL_LAHIR"))
        elif path.suffix == ".jsonl":
            for line in path.read_text(errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                    members = (entry.get("keluarga") or {}).get("anggota") or []
                except (json.JSONDecodeError, AttributeError):
                    continue
                if isinstance(members, str):
                    try:
                        members = json.loads(members)
                    except json.JSONDecodeError:
                        members = []
                for m in [members] if isinstance(members, dict) else members:
                    if isinstance(m, dict):
                        values.add(m.get("nik"), m.get("nama"), m.get("tgl_lahir"))
    except (pa.ArrowInvalid, OSError, csv.Error, UnicodeError):
        pass


def personal_values(corpus: Corpus, folder: Path, damaged: Damaged) -> Personal:
    values = Personal()
    personal_from_file(values, corpus.good / REGISTRY, REGISTRY)
    for rel in damaged.files:
        personal_from_file(values, corpus.good / rel, rel)
        personal_from_file(values, folder / rel, rel)
    for v in damaged.values:
        values.add(v, v, v)
    return values


def leaks(patterns: list[re.Pattern], text: str) -> list[str]:
    """The personal values found in `text`, masked for the report (first two characters)."""
    found = {m.group() for p in patterns for m in p.finditer(text)}
    return sorted(v[:2] + "*" * (min(len(v), 20) - 2) for v in found)


def mask(text: str, patterns: Iterable[re.Pattern] = ()) -> str:
    """For failure messages: personal values and digit runs hidden."""
    for p in patterns:
        text = p.sub("<pribadi>", text)
    return re.sub(r"\d{6,}", lambda m: m.group()[:4] + "#" * (len(m.group()) - 4), text)


def run_artifacts(run_dir: Path) -> dict[str, str]:
    """The run's written artifacts other than its data tables."""
    texts = {}
    for f in [run_dir / "manifest.json", run_dir / "laporan.html", *sorted((run_dir / "mutu").rglob("*"))]:
        if not f.is_file() or "static" in f.relative_to(run_dir).parts:
            continue
        if f.suffix not in {".json", ".html", ".yml", ".yaml", ".md", ".txt", ".csv"}:
            continue
        text = f.read_text(errors="replace")
        texts[str(f.relative_to(run_dir))] = re.sub(r"data:[a-z]+/[a-z+.-]+;base64,[A-Za-z0-9+/=]+", "", text)
    return texts


def prefect_texts(since: dt.datetime) -> dict[str, str]:
    """Every log since the case started, and the state messages and artifacts of the flow
    runs started since."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterStartTime,
        LogFilter,
        LogFilterTimestamp,
    )
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    texts: dict[str, str] = {}
    with get_client(sync_client=True) as client:
        logs, offset = [], 0
        while True:
            page = client.read_logs(LogFilter(timestamp=LogFilterTimestamp(after_=since)), limit=200, offset=offset)
            logs += page
            offset += len(page)
            if len(page) < 200:
                break
        texts["prefect logs"] = "\n".join(f"{log.name}: {log.message}" for log in logs)
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)))
        ids = [r.id for r in runs]
        texts["prefect flow run states"] = "\n".join(f"{r.name}: {r.state and r.state.message}" for r in runs)
        if ids:
            tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)))
            texts["prefect task run states"] = "\n".join(f"{t.name}: {t.state and t.state.message}" for t in tasks)
            artifacts = client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=ids))
            )
            texts["prefect artifacts"] = "\n".join(f"{a.key} {a.description} {json.dumps(a.data)}" for a in artifacts)
    return texts


# --- running a case ----------------------------------------------------------------------


def dtsen_refresh(corpus: Corpus, folder: Path, cwd: Path) -> subprocess.CompletedProcess:
    """The installed command, as an operator runs it, against the session's Prefect server."""
    env = command_env()
    env |= {
        "DTSEN_HOME": str(corpus.home),
        "DTSEN_DUCKDB_MEMORY_LIMIT": os.environ.get("DTSEN_DUCKDB_MEMORY_LIMIT", "2GB"),
        "PREFECT_API_URL": corpus.api_url,
        "COLUMNS": "200",
    }
    return subprocess.run(
        [DTSEN, "refresh", "--delivery", str(folder)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


class Findings:
    """Every problem of a case, so the report says all of them at once."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def check(self, holds: bool, problem: str) -> bool:
        if not holds:
            self.problems.append(problem)
        return holds


def describe(error: BaseException | None, patterns: list[re.Pattern]) -> str:
    if error is None:
        return "no exception"
    return f"{type(error).__module__}.{type(error).__name__}: {mask(str(error), patterns)[:600]}"


def affected_extract(damaged: Damaged) -> str | None:
    from transforms.ingest.extracts import EXTRACTS

    for rel in damaged.files:
        for e in EXTRACTS:
            if Path(rel).match(e.pattern):
                return e.name
    return "dtks" if not damaged.files else None


def outcome_of(manifest: dict | None, extract: str | None = None) -> str:
    """What a run that should have stopped did instead, for the report."""
    if manifest is None:
        return ""
    mutu = manifest.get("mutu", {})
    done = f"published as {manifest['terbit']['tag']}" if "terbit" in manifest else "not published"
    counts = manifest.get("rekonsiliasi", {}).get(extract) if extract else None
    return (
        f"; the run was {done}, quality {mutu.get('status')}, critical {mutu.get('kritis_gagal')}, "
        f"warnings {mutu.get('peringatan')}" + (f", {extract}: {counts}" if counts else "")
    )


def new_runs(corpus: Corpus, before: set[str]) -> list[Path]:
    runs = corpus.home / "runs"
    return sorted(p for p in runs.iterdir() if p.is_dir() and p.name not in before) if runs.is_dir() else []


def check_refused(case: Case, error: BaseException | None, damaged: Damaged, found: Findings, where: str, pats) -> None:
    from transforms.errors import DeliveryError

    if not found.check(
        isinstance(error, DeliveryError), f"{where}: expected DeliveryError, got {describe(error, pats)}"
    ):
        return
    assert isinstance(error, DeliveryError)
    message = str(error)
    found.check(
        any(f in error.file for f in case.files),
        f"{where}: .file {mask(error.file)!r} does not name {' or '.join(case.files)}",
    )
    for f in case.files:
        found.check(Path(f).name in message, f"{where}: the message does not name {f}: {mask(message, pats)}")
    if case.column:
        found.check(error.column == case.column, f"{where}: .column {error.column!r}, expected {case.column!r}")
    expected_row = damaged.row if case.row else (1 if case.column and case.files[0].endswith(".csv") else None)
    if expected_row is not None:
        found.check(error.row == expected_row, f"{where}: .row {error.row!r}, expected {expected_row}")
    if case.type_named:
        found.check(
            re.search(r"\b(date|string|text|type)\b", error.problem, re.IGNORECASE) is not None,
            f"{where}: the problem does not name the type: {mask(error.problem, pats)}",
        )
    if "line" in damaged.info:  # no field value of the broken row in the message
        shown = [v for v in damaged.info["line"] if len(v) >= 4 and v in message]
        found.check(not shown, f"{where}: the message quotes field values of the broken row ({len(shown)})")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault(case: Case, corpus: Corpus, tmp_path: Path, capfd, caplog) -> None:
    from expectations import QualityError
    from flows import preflight
    from flows.refresh import refresh

    folder = tmp_path / "kiriman" / CUTOFF.isoformat()
    shutil.copytree(corpus.good, folder)
    if case.damage is usulan_negative_floor_area:
        with duckdb.connect() as con:
            ranked = corpus.run_dir / "ranked" / "keluarga.parquet"
            published = {r[0] for r in con.execute("SELECT no_kk FROM read_parquet(?)", [str(ranked)]).fetchall()}
        damaged = usulan_negative_floor_area(folder, published)
    else:
        damaged = case.damage(folder)
    patterns = personal_values(corpus, folder, damaged).patterns()
    found = Findings()
    texts: dict[str, str] = {}

    started = dt.datetime.now(dt.UTC)
    snapshot_before = current_snapshot()
    runs_dir = corpus.home / "runs"
    runs_before = {p.name for p in runs_dir.iterdir()}
    done: subprocess.CompletedProcess | None = None
    error: BaseException | None = None
    manifest_path: Path | None = None

    # The command, as an operator types it: for 1-4 in addition to the flow (first, so that
    # nothing the flow wrote hides what the command did), for the others instead of it.
    if case.cli:
        done = dtsen_refresh(corpus, folder, tmp_path)
        texts["dtsen stdout"], texts["dtsen stderr"] = done.stdout, done.stderr
        tail = mask(done.stderr[-1500:], patterns)
        if case.outcome == REFUSED:
            verdict = [line for line in done.stderr.splitlines() if line.startswith("refresh failed: ")]
            found.check(done.returncode == 2, f"dtsen refresh: exit {done.returncode}, expected 2; stderr: {tail}")
            found.check(len(verdict) == 1, f"dtsen refresh: {len(verdict)} `refresh failed:` lines; stderr: {tail}")
            found.check("Traceback" not in done.stderr, f"dtsen refresh: a traceback; stderr: {tail}")
            if verdict:
                for f in case.files:
                    found.check(Path(f).name in verdict[0], f"dtsen refresh: the line does not name {f}")
                found.check("Nothing was published" in verdict[0], "dtsen refresh: no 'Nothing was published'")
            if case.preflight:
                expensive = [r.name for r in new_runs(corpus, runs_before) if (r / "standardized").exists()]
                found.check(not expensive, "dtsen refresh: standardized output written before refusing")
        elif case.outcome == STOPPED:
            found.check(done.returncode == 3, f"dtsen refresh: exit {done.returncode}, expected 3; stderr: {tail}")
            found.check(
                "refresh stopped by the quality gate" in done.stderr and f":{case.rule}" in done.stderr,
                f"dtsen refresh: the stop does not name {case.rule}; stderr: {tail}",
            )
        else:
            found.check(done.returncode == 0, f"dtsen refresh: exit {done.returncode}, expected 0; stderr: {tail}")

    if case.preflight:
        try:
            preflight.delivery(folder, [])
        except Exception as e:
            check_refused(case, e, damaged, found, "preflight", patterns)
            texts["preflight exception"] = "".join(traceback.format_exception(e))
        else:
            # Through the command, refusing before any standardized output is what counts
            # (checked above); without it, the checks before Prefect starts must refuse.
            found.check(case.cli, "preflight: the delivery passed the checks before Prefect starts")

    if not case.cli or case.outcome == REFUSED:
        try:
            manifest_path = Path(refresh(str(folder)))
        except Exception as e:
            error = e
            texts["exception"] = "".join(traceback.format_exception(e))

    # The outcome.
    runs = new_runs(corpus, runs_before)
    if manifest_path is None and case.outcome != REFUSED:
        manifests = [r / "manifest.json" for r in runs if (r / "manifest.json").exists()]
        manifest_path = manifests[0] if len(manifests) == 1 else None
    manifest = json.loads(manifest_path.read_text()) if manifest_path and manifest_path.exists() else None
    if case.outcome == REFUSED:
        check_refused(case, error, damaged, found, "refresh flow", patterns)
    elif case.outcome == STOPPED:
        if not case.cli:
            holds = isinstance(error, QualityError)
            actual = describe(error, patterns) + outcome_of(manifest, affected_extract(damaged))
            if found.check(holds, f"expected QualityError naming {case.rule}, got {actual}"):
                assert isinstance(error, QualityError)
                rules = [f.split(":", 1)[-1] for f in error.failures]
                found.check(case.rule in rules, f"QualityError names {error.failures}, not {case.rule}")
        if found.check(manifest is not None, "no manifest of the stopped run"):
            assert manifest is not None
            found.check(manifest["mutu"]["status"] == "GAGAL", f"quality status {manifest['mutu']['status']}")
            named = [f.split(":", 1)[-1] for f in manifest["mutu"]["kritis_gagal"]]
            found.check(case.rule in named, f"the manifest's critical failures are {named}, not {case.rule}")
            found.check("terbit" not in manifest, "the stopped run's manifest says it was published")
            if case.rule == "EKSTRAK_DITERIMA_ADA":
                found.check("padan" not in manifest, "the run was not stopped before matching")
    else:
        if found.check(
            manifest is not None and "terbit" in manifest,
            f"expected {case.outcome} (published), got {describe(error, patterns)}",
        ):
            assert manifest is not None
            good = corpus.manifest
            now = current_snapshot()
            found.check(now is not None and now[1] == manifest["run_id"], "the run's snapshot is not current")
            found.check(manifest["terbit"]["baru"] is True, "no new snapshot")
            found.check(manifest["mutu"]["status"] != "GAGAL", "quality status GAGAL")
            if case.outcome == TOLERATED:
                for extract, counts in good["rekonsiliasi"].items():
                    found.check(
                        manifest["rekonsiliasi"].get(extract) == counts,
                        f"{extract}: counts {manifest['rekonsiliasi'].get(extract)} differ from the good delivery's "
                        f"{counts}",
                    )
                found.check(
                    manifest["terbit"]["jumlah_baris"] == good["terbit"]["jumlah_baris"],
                    f"published rows {manifest['terbit']['jumlah_baris']}, good {good['terbit']['jumlah_baris']}",
                )
            else:
                check_quarantined(case, damaged, manifest, good, Path(manifest_path).parent, found)

    # (a) nothing new became current, unless the outcome publishes.
    if case.outcome not in PUBLISHES:
        found.check(
            current_snapshot() == snapshot_before,
            f"a new snapshot became current: {current_snapshot()} (was {snapshot_before})",
        )

    # (b) no personal value in anything an operator reads.
    console = capfd.readouterr()
    texts["console"] = console.out + console.err
    texts["log records"] = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    texts |= prefect_texts(started)
    found.check(bool(texts["prefect logs"]), "no Prefect log of the run was read: the search below would prove nothing")
    for run in runs:
        texts |= {f"{run.name}/{k}": v for k, v in run_artifacts(run).items()}
    for where, text in texts.items():
        shown = leaks(patterns, text)
        found.check(not shown, f"personal data in {where}: {len(shown)}+ values, e.g. {shown[:2]}")

    assert not found.problems, f"{case.name} ({case.outcome}):\n  " + "\n  ".join(found.problems)


def check_quarantined(case: Case, damaged: Damaged, manifest: dict, good: dict, run_dir: Path, found: Findings) -> None:
    assert case.extract is not None and case.rule is not None
    expected = damaged.info["quarantined"]
    counts = manifest["rekonsiliasi"][case.extract]
    found.check(
        counts["karantina_per_aturan"].get(case.rule) == expected,
        f"{case.extract}: karantina_per_aturan {counts['karantina_per_aturan']}, expected {case.rule}: {expected}",
    )
    read = damaged.info.get("read", good["rekonsiliasi"][case.extract]["dibaca"])
    found.check(counts["dibaca"] == read, f"{case.extract}: {counts['dibaca']} rows read, expected {read}")
    files = sorted((run_dir / "karantina" / case.extract).glob("*.parquet"))
    in_files = 0
    if files:
        with duckdb.connect() as con:
            in_files = con.execute(
                "SELECT count(*) FROM read_parquet($files) WHERE aturan = $rule",
                {"files": [str(f) for f in files], "rule": case.rule},
            ).fetchall()[0][0]
    found.check(
        in_files == expected, f"karantina/{case.extract}/: {in_files} rows under {case.rule}, expected {expected}"
    )

    if "no_kk" in damaged.info or "big" in damaged.info:
        from dtsen.settings import get_settings
        from warehouse import Akses, open_catalog, open_snapshot, resolve

        catalog = open_catalog(get_settings())
        published = open_snapshot(catalog, resolve(catalog), Akses.penuh)
        if "no_kk" in damaged.info:
            area = published.execute("SELECT r302 FROM keluarga WHERE no_kk = ?", [damaged.info["no_kk"]]).fetchall()
            found.check(len(area) == 1, f"the corrected family is published {len(area)} times, not once")
            found.check(all(r[0] != -50 for r in area), "the family is published with a floor area of -50")
        if "big" in damaged.info:
            probe = damaged.info["big"][:LONG]
            for table in manifest["terbit"]["jumlah_baris"]:
                columns = published.execute(f"DESCRIBE {table}").fetchall()
                for name, kind, *_ in columns:
                    if kind != "VARCHAR":
                        continue
                    hit = published.execute(
                        f'SELECT count(*) FROM {table} WHERE length("{name}") > 100000 OR strpos("{name}", ?) > 0',
                        [probe],
                    ).fetchone()[0]
                    found.check(hit == 0, f"the 1 MB name is published in {table}.{name}")
        published.close()
