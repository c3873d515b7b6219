"""File formats of the extracts. Every writer gives the same bytes for the same table."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

# UTF-8 sequences of the Windows-1252 punctuation the generator uses, and their cp1252 bytes.
_CP1252 = {
    "\u2013": b"\x96",
    "\u2014": b"\x97",
    "\u2018": b"\x91",
    "\u2019": b"\x92",
    "\u201c": b"\x93",
    "\u201d": b"\x94",
}


def parquet(table: pa.Table, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    return table.num_rows


def _encode(data: bytes, encoding: str) -> bytes:
    """UTF-8 bytes re-encoded strictly (a character the encoding cannot hold is an error).
    For Windows-1252 text that is ASCII apart from the known punctuation, the punctuation is
    swapped byte-wise, which is far faster than the codec on large files."""
    if encoding == "utf-8":
        return data
    if encoding == "cp1252":
        swapped = data
        for char, byte in _CP1252.items():
            swapped = swapped.replace(char.encode("utf-8"), byte)
        # Every other non-ASCII UTF-8 character keeps a lead byte >= 0xC2: then use the codec.
        if swapped.translate(None, b"".join(_CP1252.values())).isascii():
            return swapped
    return data.decode("utf-8").encode(encoding)


def csv_plain(table: pa.Table, path: Path, sep: str, encoding: str = "utf-8", crlf: bool = False) -> int:
    """CSV without any quoting, as legacy exports write it; a value holding the separator,
    a double quote or a line break is refused by the writer (a generator bug, not data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    buf.write(sep.join(table.column_names).encode() + b"\n")
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, delimiter=sep, quoting_style="none"))
    data = _encode(buf.getvalue(), encoding)
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    path.write_bytes(data)
    return table.num_rows


def csv(table: pa.Table, path: Path, sep: str = ",") -> int:
    """UTF-8 CSV that quotes only where a value needs it; nulls as empty fields."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        con.from_arrow(table).write_csv(str(path), sep=sep, header=True)
    finally:
        con.close()
    return table.num_rows


def lines(values: pa.Array, path: Path, header: str | None = None, eol: str = "\n") -> int:
    """One string per line (JSON lines, or a CSV assembled by hand), without a Python loop."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.cast(pa.string())
    joined = pa.ListArray.from_arrays(pa.array([0, len(values)], pa.int32()), values)
    body = pc.binary_join(joined, eol)[0].as_py() or ""
    text = (header + eol if header is not None else "") + body + (eol if len(values) else "")
    path.write_bytes(text.encode("utf-8"))
    return len(values)
