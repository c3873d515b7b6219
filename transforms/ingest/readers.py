"""Readers: every extract becomes a raw relation with its source row number `baris`.

CSV and JSONL extracts are converted once into a raw Parquet file of strings (DuckDB
cannot read Windows-1252, and a CSV scan has no reliable row number); Parquet extracts
are read where they landed. A file that cannot be read at all raises DeliveryError
naming the file, the row and the column.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from transforms.errors import DeliveryError
from transforms.ingest.extracts import Extract

_BLOCK = 16 << 20


def check_columns(extract: Extract, file: Path, present: list[str]) -> None:
    missing = [c for c in extract.columns if c not in present]
    if missing:
        raise DeliveryError(
            str(file),
            f"missing column(s) {', '.join(missing)}",
            row=1 if extract.format == "csv" else None,
            column=missing[0],
            hint=f"The {extract.name} extract must have the columns listed in docs/contract.md",
        )


def _first_bad_byte(file: Path, encoding: str) -> tuple[int, int] | None:
    """(row, byte offset) of the first byte that does not decode, row 1 = header."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset, newlines = 0, 0
    with file.open("rb") as f:
        while chunk := f.read(_BLOCK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                newlines += chunk[: e.start].count(b"\n")
                return newlines + 1, offset + e.start
            newlines += chunk.count(b"\n")
            offset += len(chunk)
    return None


def _looks_utf8_not_cp1252(file: Path) -> bool:
    """A Windows-1252 extract that decodes as UTF-8 with non-ASCII text was re-encoded."""
    raw = file.read_bytes() if file.stat().st_size < _BLOCK else file.open("rb").read(_BLOCK)
    if raw.isascii():
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start >= len(raw) - 3  # only a multi-byte char cut by the block end
    return True


def check_encoding(extract: Extract, file: Path) -> None:
    if extract.encoding == "cp1252" and _looks_utf8_not_cp1252(file):
        raise DeliveryError(
            str(file),
            "file is UTF-8 encoded, not Windows-1252",
            hint="Ask for the original export (Windows-1252) or convert it back",
        )
    bad = _first_bad_byte(file, extract.encoding)
    if bad:
        row, offset = bad
        raise DeliveryError(
            str(file),
            f"byte {offset} is not valid {extract.encoding}",
            row=row,
            hint=f"The {extract.name} extract must be {extract.encoding} encoded",
        )


_BOM = ("\ufeff", "\u00ef\u00bb\u00bf")  # a UTF-8 byte order mark, read as UTF-8 or as Windows-1252


def contract_names(extract: Extract, file: Path, names: list[str]) -> list[str]:
    """Column names as the contract spells them. Real exports put a byte order mark before
    the header, pad names with spaces or change their case: the column is the same."""
    wanted = {c.casefold(): c for c in (*extract.columns, *extract.optional)}
    found = []
    for i, name in enumerate(names):
        clean = name.strip()
        if i == 0:
            for bom in _BOM:
                clean = clean.removeprefix(bom).strip()
        found.append(wanted.get(clean.casefold(), clean))
    twice = sorted({n for n in found if found.count(n) > 1})
    if twice:
        raise DeliveryError(
            str(file), f"column {twice[0]} appears twice in the header", row=1 if extract.format == "csv" else None,
            column=twice[0], hint="Ask for an export with each column once",
        )  # fmt: skip
    return found


def header(extract: Extract, file: Path) -> list[str]:
    with file.open(encoding=extract.encoding, newline="") as f:
        try:
            names = next(csv.reader(f, delimiter=extract.delimiter), [])
        except csv.Error:  # an open quote in the header runs to the end of the file
            raise DeliveryError(
                str(file), "the header is not a line of column names (an unclosed quote?)", row=1,
                hint="Fix the quoting in the export",
            ) from None  # fmt: skip
    return contract_names(extract, file, names)


def check_header(extract: Extract, file: Path) -> None:
    """The file's columns, from its header alone (CSV) or its schema (Parquet): cheap
    enough to check every file of a delivery before any stage starts."""
    if extract.format == "csv":
        try:
            check_columns(extract, file, header(extract, file))
        except UnicodeDecodeError:
            check_encoding(extract, file)  # names the row and the byte
    elif extract.format == "parquet":
        parquet_columns(extract, file)


def _locate_bad_row(extract: Extract, file: Path, width: int) -> int | None:
    """Slow path, only on failure: the first row whose field count is wrong, or where an
    unclosed quote starts (it runs on to the field size limit or the end of the file)."""
    row = 0
    with file.open(encoding=extract.encoding, newline="") as f:
        reader = csv.reader(f, delimiter=extract.delimiter)
        try:
            for row, fields in enumerate(reader, start=1):
                if len(fields) != width:
                    return row
        except csv.Error:
            return row + 1
    return None


def csv_to_raw(extract: Extract, file: Path, out: Path) -> int:
    """Convert one CSV extract to a raw Parquet of strings with `baris` (1 = first data row)."""
    check_encoding(extract, file)
    names = header(extract, file)
    check_columns(extract, file, names)
    # pyarrow decodes natively only when told "utf8"; any other spelling goes through a
    # Python codec (ten times slower). Windows-1252 has to take that path.
    encoding = "utf8" if extract.encoding.replace("-", "").lower() == "utf8" else extract.encoding
    read = pacsv.ReadOptions(encoding=encoding, block_size=_BLOCK, column_names=names, skip_rows=1)
    parse = pacsv.ParseOptions(delimiter=extract.delimiter)
    convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in names}, strings_can_be_null=False)
    rows = 0
    tmp = out.with_suffix(".tmp")
    writer = None
    try:
        reader = pacsv.open_csv(file, read_options=read, parse_options=parse, convert_options=convert)
        for batch in reader:
            baris = pa.array(range(rows + 1, rows + batch.num_rows + 1), pa.int64())
            table = pa.Table.from_batches([batch]).append_column("baris", baris)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
            rows += batch.num_rows
    except pa.ArrowInvalid:
        # pyarrow's message quotes the row's content (personal data): say where instead.
        bad = _locate_bad_row(extract, file, len(names))
        raise DeliveryError(
            str(file),
            f"row does not have {len(names)} fields separated by '{extract.delimiter}'",
            row=None if bad is None else bad - 1,
            hint="Fix the quoting or separator in the export",
        ) from None
    finally:
        if writer is not None:
            writer.close()
    if writer is None:  # header only
        empty = pa.table({c: pa.array([], pa.string()) for c in names} | {"baris": pa.array([], pa.int64())})
        pq.write_table(empty, tmp)
    tmp.replace(out)
    return rows


def jsonl_to_raw(extract: Extract, file: Path, out: Path) -> int:
    """Keep every line as JSON text with its line number; DuckDB parses it, and a line that
    is not valid JSON is quarantined by rule rather than failing the whole feed."""
    check_encoding(extract, file)
    lines: list[str] = []
    with file.open(encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    keep = [(i, s) for i, s in enumerate(lines, start=1) if s.strip()]
    table = pa.table(
        {"baris": pa.array([i for i, _ in keep], pa.int64()), "json": pa.array([s for _, s in keep], pa.string())}
    )
    tmp = out.with_suffix(".tmp")
    pq.write_table(table, tmp)
    tmp.replace(out)
    return table.num_rows


def parquet_columns(extract: Extract, file: Path) -> int:
    """Parquet extracts are read in place; check they are readable and complete."""
    try:
        meta = pq.read_metadata(file)
        schema = meta.schema.to_arrow_schema()
    except (pa.ArrowInvalid, OSError) as e:
        raise DeliveryError(
            str(file), f"not a readable Parquet file ({type(e).__name__})", hint="Ask for the extract to be re-sent"
        ) from None
    check_columns(extract, file, contract_names(extract, file, schema.names))
    check_types(extract, file, schema)
    return meta.num_rows


_KINDS = {
    "date": lambda t: pa.types.is_date(t) or pa.types.is_timestamp(t),
    "integer": pa.types.is_integer,
    "string": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
}


def check_types(extract: Extract, file: Path, schema: pa.Schema) -> None:
    by_name = dict(zip(contract_names(extract, file, schema.names), schema.types))
    for column, kind in extract.types:
        found = by_name.get(column)
        if found is not None and not pa.types.is_null(found) and not _KINDS[kind](found):
            raise DeliveryError(
                str(file), f"holds {found} values where the contract has a {kind}", column=column,
                hint=f"Ask for the export with {column} as a {kind} column (docs/contract.md)",
            )  # fmt: skip


def register_raw(con: duckdb.DuckDBPyConnection, extract: Extract, file: Path, raw_dir: Path, view: str) -> int:
    """Make `view` the raw rows of one extract file (every source column plus `baris`);
    return the number of rows read."""
    if file.suffix == ".parquet":
        rows = parquet_columns(extract, file)
        rel = con.read_parquet(str(file), file_row_number=True)
        named = contract_names(extract, file, rel.columns)
        if named != rel.columns:  # the contract's spelling of a column exported in another case
            rel = rel.project(", ".join(f'"{a}" AS "{b}"' for a, b in zip(rel.columns, named)))
        if "baris" in rel.columns:  # a raw file pulled from a SQL source already has it
            rel = rel.project("* EXCLUDE (file_row_number)")
        else:
            rel = rel.project("* EXCLUDE (file_row_number), file_row_number + 1 AS baris")
    else:
        raw_dir.mkdir(parents=True, exist_ok=True)
        out = raw_dir / f"{file.stem}.parquet"
        convert = jsonl_to_raw if extract.format == "jsonl" else csv_to_raw
        rows = convert(extract, file, out)
        rel = con.read_parquet(str(out))
    for column in extract.optional:
        if column not in rel.columns:
            rel = rel.project(f'*, NULL::VARCHAR AS "{column}"')
    rel.create_view(view, replace=True)
    return rows
