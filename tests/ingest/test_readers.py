"""Readers: every extract format, and the clear errors for files that cannot be read."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.delivery_kecil import DTKS_HEADER, dtks_rows
from transforms.errors import DeliveryError
from transforms.ingest.extracts import BY_NAME
from transforms.ingest.readers import register_raw


def _read(tmp_path, name, file):
    con = duckdb.connect()
    rows = register_raw(con, BY_NAME[name], file, tmp_path / "raw", "raw")
    return rows, con


def test_dtks_windows_1252_is_read_with_row_numbers(delivery, tmp_path):
    rows, con = _read(tmp_path, "dtks", delivery / "dtks/dtks_32.csv")
    assert rows == len(dtks_rows())
    baris, alamat = con.execute("SELECT baris, ALAMAT FROM raw ORDER BY baris LIMIT 1").fetchone()
    assert baris == 1
    assert alamat == "Jl. Mawar \u2013 RT 01"  # the en dash is byte 0x96 in Windows-1252
    assert con.execute("SELECT count(DISTINCT baris) FROM raw").fetchone()[0] == rows


def test_dtks_re_encoded_as_utf8_is_refused(delivery, tmp_path):
    f = delivery / "dtks/dtks_32.csv"
    f.write_bytes(f.read_bytes().decode("cp1252").encode("utf-8"))
    with pytest.raises(DeliveryError, match="UTF-8 encoded, not Windows-1252") as e:
        _read(tmp_path, "dtks", f)
    assert "dtks_32.csv" in str(e.value)


def test_p3ke_not_utf8_names_file_and_row(delivery, tmp_path):
    f = delivery / "p3ke/p3ke_anggota.csv"
    lines = f.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"SITI", b"S\xffTI")
    f.write_bytes(b"\n".join(lines))
    with pytest.raises(DeliveryError) as e:
        _read(tmp_path, "p3ke_anggota", f)
    assert e.value.row == 3 and "p3ke_anggota.csv" in e.value.file
    assert "SITI" not in str(e.value) and "S\xffTI" not in str(e.value)


def test_missing_column_names_file_and_column(delivery, tmp_path):
    f = delivery / "dtks/dtks_32.csv"
    text = f.read_text(encoding="cp1252").replace("TGL_LAHIR;", "TANGGAL;", 1)
    f.write_text(text, encoding="cp1252")
    with pytest.raises(DeliveryError) as e:
        _read(tmp_path, "dtks", f)
    assert e.value.column == "TGL_LAHIR" and e.value.row == 1
    assert "docs/contract.md" in str(e.value)


def test_broken_row_is_located_without_quoting_it(delivery, tmp_path):
    f = delivery / "dtks/dtks_32.csv"
    lines = f.read_text(encoding="cp1252").splitlines()
    lines[3] = lines[3].replace(";", "", 3)  # data row 3 lost three separators
    f.write_text("\n".join(lines) + "\n", encoding="cp1252")
    with pytest.raises(DeliveryError) as e:
        _read(tmp_path, "dtks", f)
    assert e.value.row == 3
    assert "MOCHAMAD" not in str(e.value) and "3.20105E+15" not in str(e.value)


def test_header_only_csv_reads_zero_rows(delivery, tmp_path):
    f = delivery / "dtks/dtks_32.csv"
    f.write_text(";".join(DTKS_HEADER) + "\n", encoding="cp1252")
    rows, con = _read(tmp_path, "dtks", f)
    assert rows == 0 and con.execute("SELECT count(*) FROM raw").fetchone()[0] == 0


def test_parquet_gets_row_numbers_and_checks_columns(delivery, tmp_path):
    rows, con = _read(tmp_path, "dukcapil_penduduk", delivery / "dukcapil/penduduk.parquet")
    assert rows == 5
    assert con.execute("SELECT min(baris), max(baris) FROM raw").fetchone() == (1, 5)
    f = delivery / "dukcapil/penduduk.parquet"
    pq.write_table(pq.read_table(f).drop(["TGL_MATI"]), f)
    with pytest.raises(DeliveryError, match="TGL_MATI"):
        _read(tmp_path, "dukcapil_penduduk", f)


def test_unreadable_parquet(delivery, tmp_path):
    f = delivery / "regsosek/keluarga.parquet"
    f.write_bytes(b"not parquet at all")
    with pytest.raises(DeliveryError, match="not a readable Parquet file"):
        _read(tmp_path, "regsosek_keluarga", f)


def test_jsonl_keeps_every_line_with_its_number(delivery, tmp_path):
    rows, con = _read(tmp_path, "usulan", delivery / "usulan/usulan.jsonl")
    assert rows == 4  # three proposals and one line that is not JSON: kept, to be quarantined
    assert con.execute("SELECT baris FROM raw WHERE NOT json_valid(json)").fetchone()[0] == 4
    assert pa is not None


def test_a_header_as_real_exports_write_it_is_read(delivery, tmp_path):
    """A byte order mark, lower case and padded names: the same columns."""
    f = delivery / "p3ke/p3ke_keluarga.csv"
    head, rest = f.read_text(encoding="utf-8").split("\n", 1)
    f.write_text("\ufeff" + ",".join(f" {h.lower()}  " for h in head.split(",")) + "\n" + rest, encoding="utf-8")
    rows, con = _read(tmp_path, "p3ke_keluarga", f)
    assert rows >= 1 and {"ID_KELUARGA_P3KE", "NO_KK", "ALAMAT"} <= set(con.sql("SELECT * FROM raw").columns)


def test_a_parquet_column_in_another_case_is_read_by_its_contract_name(delivery, tmp_path):
    f = delivery / "dukcapil/penduduk.parquet"
    t = pq.read_table(f)
    pq.write_table(t.rename_columns([c.lower() for c in t.column_names]), f)
    rows, con = _read(tmp_path, "dukcapil_penduduk", f)
    assert rows == t.num_rows and "NIK" in con.sql("SELECT * FROM raw").columns


def test_an_unclosed_quote_names_its_row_not_its_content(delivery, tmp_path):
    f = delivery / "dtks/dtks_32.csv"
    lines = f.read_bytes().split(b"\n")
    name = lines[2].split(b";")[4]
    lines[2] = lines[2].replace(name, b'"' + name, 1)  # the quote opens and never closes
    f.write_bytes(b"\n".join(lines))
    with pytest.raises(DeliveryError) as e:
        _read(tmp_path, "dtks", f)
    assert e.value.row == 2 and "dtks_32.csv" in e.value.file and name.decode("cp1252") not in str(e.value)


def test_text_where_the_contract_has_a_date_is_refused(delivery, tmp_path):
    from transforms.ingest.readers import check_header

    f = delivery / "dukcapil/penduduk.parquet"
    t = pq.read_table(f)
    at = t.schema.get_field_index("TGL_LHR")
    pq.write_table(t.set_column(at, "TGL_LHR", t["TGL_LHR"].cast(pa.string())), f)
    with pytest.raises(DeliveryError) as e:
        check_header(BY_NAME["dukcapil_penduduk"], f)
    assert e.value.column == "TGL_LHR" and "date" in str(e.value)


def test_a_survey_card_number_stored_as_a_number_is_refused(delivery, tmp_path):
    """The survey's `no_kk` is optional, but a float column has lost the card's digits."""
    from transforms.ingest.readers import check_header

    f = delivery / "susenas/sampel.parquet"
    t = pq.read_table(f)
    pq.write_table(t.append_column("no_kk", pa.array([3.201051001e15] * t.num_rows)), f)
    with pytest.raises(DeliveryError) as e:
        check_header(BY_NAME["susenas"], f)
    assert e.value.column == "no_kk" and "string" in str(e.value) and "sampel.parquet" in e.value.file
    pq.write_table(t, f)  # without the column: accepted
    check_header(BY_NAME["susenas"], f)
