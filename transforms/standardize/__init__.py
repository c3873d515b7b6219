"""Standardize: one canonical schema per source, every row kept or quarantined by a named rule.

One function per extract. Each takes a DuckDB connection prepared by `prepare` (macros,
reference tables, label maps), the landed file(s) and the run's paths, writes Parquet and
returns the row accounting (`Counts`) of every file it read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from transforms.engine import copy_atomic, run_sql, run_sql_file, sql_path
from transforms.ingest.extracts import BY_NAME
from transforms.ingest.readers import register_raw
from transforms.standardize import kode
from transforms.standardize.quarantine import Counts, split

HERE = Path(__file__).parent
SQL = HERE / "sql"
NASIONAL = "nasional"


@dataclass(frozen=True)
class RunPaths:
    """Where one run keeps its stage outputs."""

    run_dir: Path

    def standardized(self, table: str, part: str = NASIONAL) -> Path:
        return self.run_dir / "standardized" / table / f"{part}.parquet"

    def karantina(self, extract: str, part: str = NASIONAL) -> Path:
        return self.run_dir / "karantina" / extract / f"{part}.parquet"

    def raw(self, extract: str) -> Path:
        return self.run_dir / "raw" / extract


def prepare(con: duckdb.DuckDBPyConnection, paths: RunPaths) -> None:
    """Macros, label maps and (when standardized already) the reference tables."""
    wilayah, bps = paths.standardized("ref_wilayah"), paths.standardized("ref_bps")
    if wilayah.exists():
        con.read_parquet(str(wilayah)).create("ref_wilayah")
        con.read_parquet(str(bps)).create("ref_bps")
        con.execute("CREATE TABLE ref_kecamatan AS SELECT kode FROM ref_wilayah WHERE tingkat = 'KECAMATAN'")
    else:
        con.execute("CREATE TABLE ref_kecamatan (kode VARCHAR)")
    run_sql_file(con, SQL / "macros.sql")
    for name in ("label_dtks", "label_p3ke"):
        con.read_csv(str(HERE / f"{name}.csv"), all_varchar=True).project(
            "kolom, label, variabel, kode::INTEGER AS kode"
        ).create(name)


def name_dictionary(con: duckdb.DuckDBPyConnection, view: str, column: str) -> None:
    """`nama_kamus`: every distinct name in `view.column` and its normal form (nama_baku),
    for the file's SQL to join. Names repeat (10M registry persons carry 2.4M distinct
    ones) and the normal form is a dozen regex passes: once per name, not per row, is a
    third of the time."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE nama_kamus AS
        SELECT teks, nama_baku(teks) AS baku
        FROM (SELECT DISTINCT "{column}"::VARCHAR AS teks FROM {view} WHERE "{column}" IS NOT NULL)"""
    )


@contextmanager
def written_once(con: duckdb.DuckDBPyConnection, paths: RunPaths, part: str, *results: str) -> Iterator[None]:
    """Each stage result (a view over the raw rows, in the order given: a later one may read
    an earlier) written once to a work file and read from there. `split` reads a result
    three times (count, kept, quarantined), and a table in memory of a national file (10M
    registry rows) is several GB, most of it spilled to disk. The files go when the step ends."""
    files = []
    try:
        for view in results:
            file = paths.run_dir / "kerja" / "standardize" / f"{view}-{part}.parquet"
            copy_atomic(con, f"SELECT * FROM {view}", file)
            files.append(file)
            con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM read_parquet('{sql_path(file)}')")
        yield
    finally:
        for file in files:
            file.unlink(missing_ok=True)


def _relative(file: Path, landed_dir: Path) -> str:
    try:
        return str(file.relative_to(landed_dir))
    except ValueError:
        return file.name


def standardize_reference(con: duckdb.DuckDBPyConnection, landed_dir: Path, paths: RunPaths) -> list[Counts]:
    """Kemendagri region list and BPS crosswalk: the lookups every other step needs."""
    files = {name: extract_file(landed_dir, name) for name in ("wilayah", "bps_kemendagri")}
    rows = {
        name: register_raw(con, BY_NAME[name], f, paths.raw(name), f"raw_{'bps' if name != 'wilayah' else name}")
        for name, f in files.items()
    }
    run_sql_file(con, SQL / "reference.sql")
    return [
        split(
            con,
            "wilayah_hasil",
            sumber="wilayah",
            berkas=_relative(files["wilayah"], landed_dir),
            out=paths.standardized("ref_wilayah"),
            karantina=paths.karantina("wilayah"),
            expected_rows=rows["wilayah"],
            drop=("baris", "id_sumber"),
        ),
        split(
            con,
            "bps_hasil",
            sumber="bps_kemendagri",
            berkas=_relative(files["bps_kemendagri"], landed_dir),
            out=paths.standardized("ref_bps"),
            karantina=paths.karantina("bps_kemendagri"),
            expected_rows=rows["bps_kemendagri"],
            drop=("baris", "id_sumber"),
        ),
    ]


def standardize_dukcapil(
    con: duckdb.DuckDBPyConnection, landed_dir: Path, paths: RunPaths, cutoff: dt.date
) -> list[Counts]:
    """Civil registry: one row per NIK, address as a Kemendagri village code."""
    file = extract_file(landed_dir, "dukcapil_penduduk")
    rows = register_raw(con, BY_NAME["dukcapil_penduduk"], file, paths.raw("dukcapil_penduduk"), "raw_dukcapil")
    name_dictionary(con, "raw_dukcapil", "NAMA_LGKP")
    run_sql_file(con, SQL / "stg_dukcapil.sql", {"cutoff": cutoff})
    with written_once(con, paths, NASIONAL, "dukcapil_hasil"):
        return [
            split(
                con,
                "dukcapil_hasil",
                sumber="dukcapil_penduduk",
                berkas=_relative(file, landed_dir),
                out=paths.standardized("dukcapil_penduduk"),
                karantina=paths.karantina("dukcapil_penduduk"),
                expected_rows=rows,
                id_is_nik=True,
            )
        ]


def dtks_province(file: Path) -> str | None:
    """`dtks_32.csv` -> '32' (one file per province, docs/contract.md); None for a national pull."""
    code = file.stem.rsplit("_", 1)[-1]
    return code if code.isdigit() and len(code) == 2 else None


def dtks_files(landed_dir: Path) -> list[Path]:
    """DTKS partitions: one CSV per province, or one Parquet pulled from the ministry's database."""
    return sorted(landed_dir.glob(BY_NAME["dtks"].pattern)) + sorted((landed_dir / "dtks").glob("*.parquet"))


def dtks_groups(files: list[Path], min_bytes: int) -> list[list[Path]]:
    """The DTKS files in code order, each a task of its own or, smaller than `min_bytes`,
    gathered with the next ones until the group holds that many: a task's fixed cost (its
    DuckDB, the prepared macros, the orchestrator's bookkeeping) is paid once per group, and
    North Kalimantan's file does not cost a task like West Java's. Each file keeps its own
    outputs and its own errors (`standardize_dtks`)."""
    groups: list[list[Path]] = []
    size = 0
    for f in files:
        if not groups or size >= min_bytes:
            groups.append([])
            size = 0
        groups[-1].append(f)
        size += f.stat().st_size
    return groups


def group_label(files: list[Path]) -> str:
    """A group's name in the task's name: `dtks_32`, or `dtks_61..dtks_65` (its first and last)."""
    return files[0].stem if len(files) == 1 else f"{files[0].stem}..{files[-1].stem}"


def extract_file(landed_dir: Path, name: str) -> Path:
    """The landed file of a single-file extract: as delivered, or pulled from SQL (.parquet)."""
    pattern = BY_NAME[name].pattern
    pulled = landed_dir / Path(pattern).with_suffix(".parquet")
    return pulled if pulled.exists() and not (landed_dir / pattern).exists() else landed_dir / pattern


def standardize_dtks(
    con: duckdb.DuckDBPyConnection, file: Path, landed_dir: Path, paths: RunPaths, cutoff: dt.date
) -> list[Counts]:
    """One DTKS province file: persons, and the households derived from the kept persons."""
    prov = dtks_province(file)
    part = prov or file.stem
    rows = register_raw(con, BY_NAME["dtks"], file, paths.raw("dtks"), "raw_dtks")
    name_dictionary(con, "raw_dtks", "NAMA")
    run_sql_file(con, SQL / "stg_dtks.sql", {"cutoff": cutoff, "prov_berkas": prov})
    with written_once(con, paths, part, "dtks_hasil"):
        counts = split(
            con,
            "dtks_hasil",
            sumber="dtks",
            berkas=_relative(file, landed_dir),
            out=paths.standardized("dtks_individu", part),
            karantina=paths.karantina("dtks", part),
            expected_rows=rows,
            drop=tuple(f"r{c}" for c in ("303", "304", "305", "306a", "307a", "307b", "309a"))
            + ("pkh", "bpnt", "pbi", "tanggal_data"),
        )
        # Households need the housing columns the person table leaves out: read them from the
        # kept rows of the full result, not from the person file.
        con.execute("CREATE OR REPLACE TEMP VIEW dtks_diterima AS SELECT * FROM dtks_hasil WHERE tolak IS NULL")
        copy_atomic(con, (SQL / "stg_dtks_keluarga.sql").read_text(), paths.standardized("dtks_keluarga", part))
        return [counts]


def standardize_regsosek(
    con: duckdb.DuckDBPyConnection, landed_dir: Path, paths: RunPaths, cutoff: dt.date
) -> list[Counts]:
    """Regsosek families (BPS codes mapped to Kemendagri) and their members."""
    files = {n: extract_file(landed_dir, n) for n in ("regsosek_keluarga", "regsosek_anggota")}
    rows = {n: register_raw(con, BY_NAME[n], f, paths.raw(n), f"raw_{n}") for n, f in files.items()}
    name_dictionary(con, "raw_regsosek_anggota", "r402")
    sql = (
        (SQL / "stg_regsosek.sql")
        .read_text()
        .replace("/*KODE_KELUARGA*/", kode.kode_sql(kode.KELUARGA))
        .replace("/*KODE_ANGGOTA*/", kode.kode_sql(kode.ANGGOTA))
    )
    run_sql(con, sql, {"cutoff": cutoff})
    return _family_feed(con, landed_dir, paths, files, rows)


def _family_feed(
    con: duckdb.DuckDBPyConnection, landed_dir: Path, paths: RunPaths, files: dict[str, Path], rows: dict[str, int]
) -> list[Counts]:
    """A family feed's tables (`<feed>_keluarga`, then `<feed>_anggota`, which reads it), each
    from its `_hasil` view, split into kept and quarantined rows."""
    with written_once(con, paths, NASIONAL, *(f"{name}_hasil" for name in files)):
        return [
            split(
                con,
                f"{name}_hasil",
                sumber=name,
                berkas=_relative(file, landed_dir),
                out=paths.standardized(name),
                karantina=paths.karantina(name),
                expected_rows=rows[name],
            )
            for name, file in files.items()
        ]


def standardize_p3ke(
    con: duckdb.DuckDBPyConnection, landed_dir: Path, paths: RunPaths, cutoff: dt.date
) -> list[Counts]:
    """P3KE families and members, text codes mapped to the Regsosek code book."""
    files = {n: extract_file(landed_dir, n) for n in ("p3ke_keluarga", "p3ke_anggota")}
    rows = {n: register_raw(con, BY_NAME[n], f, paths.raw(n), f"raw_{n}") for n, f in files.items()}
    name_dictionary(con, "raw_p3ke_anggota", "NAMA")
    run_sql_file(con, SQL / "stg_p3ke.sql", {"cutoff": cutoff})
    return _family_feed(con, landed_dir, paths, files, rows)


def standardize_usulan(
    con: duckdb.DuckDBPyConnection, landed_dir: Path, paths: RunPaths, cutoff: dt.date
) -> list[Counts]:
    """Proposals (one row per line) and the members proposed by USUL_BARU."""
    file = extract_file(landed_dir, "usulan")
    rows = register_raw(con, BY_NAME["usulan"], file, paths.raw("usulan"), "raw_usulan")
    sql = (
        (SQL / "stg_usulan.sql")
        .read_text()
        .replace("/*PERUBAHAN_LUAR_KISARAN*/", kode.first_out_of_range_sql(kode.KELUARGA, "perubahan"))
    )
    run_sql(con, sql, {"cutoff": cutoff})
    with written_once(con, paths, NASIONAL, "usulan_hasil", "usulan_anggota_hasil"):
        berkas = _relative(file, landed_dir)
        return [
            split(
                con,
                "usulan_hasil",
                sumber="usulan",
                berkas=berkas,
                out=paths.standardized("usulan"),
                karantina=paths.karantina("usulan"),
                expected_rows=rows,
            ),
            # Members are counted from the kept proposals they come in (a derived feed).
            split(
                con,
                "usulan_anggota_hasil",
                sumber="usulan_anggota",
                berkas=berkas,
                out=paths.standardized("usulan_anggota"),
                karantina=paths.karantina("usulan_anggota"),
            ),
        ]


def standardize_susenas(con: duckdb.DuckDBPyConnection, landed_dir: Path, paths: RunPaths) -> list[Counts]:
    """Survey sample for the welfare model: region checked, codes in range."""
    file = extract_file(landed_dir, "susenas")
    rows = register_raw(con, BY_NAME["susenas"], file, paths.raw("susenas"), "raw_susenas")
    sql = (
        (SQL / "stg_susenas.sql")
        .read_text()
        .replace("/*KODE_COLUMNS*/", ", ".join(kode.KELUARGA))
        .replace("/*KODE_KELUARGA*/", kode.kode_sql(kode.KELUARGA, alias="s"))
    )
    run_sql(con, sql)
    with written_once(con, paths, NASIONAL, "susenas_hasil"):
        return [
            split(
                con,
                "susenas_hasil",
                sumber="susenas",
                berkas=_relative(file, landed_dir),
                out=paths.standardized("susenas"),
                karantina=paths.karantina("susenas"),
                expected_rows=rows,
            )
        ]
