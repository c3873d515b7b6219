"""referensi/wilayah.csv (Kemendagri kode,nama) and referensi/bps_kemendagri.csv."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from synthetic import writers
from synthetic.context import Konteks
from synthetic.sources import Hasil

WILAYAH, BPS = "referensi/wilayah.csv", "referensi/bps_kemendagri.csv"


def _count_rows(path: Path) -> int:
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(include_columns=["kode"])).num_rows


def generate(ctx: Konteks, out: Path) -> Hasil:
    reg = ctx.regions
    (out / WILAYAH).parent.mkdir(parents=True, exist_ok=True)
    if reg.wilayah_file is not None:
        # The list given is the reference: written through byte for byte (unpacked, if
        # it is the project's compressed copy).
        opener = gzip.open if Path(reg.wilayah_file).suffix == ".gz" else open
        with opener(reg.wilayah_file, "rb") as src, (out / WILAYAH).open("wb") as dst:
            shutil.copyfileobj(src, dst)
        n_wilayah = _count_rows(out / WILAYAH)
    else:
        assert reg.wilayah is not None  # Regions holds either the given file or the synthetic table
        # As the ministry publishes it: CRLF, a name quoted only when it holds a comma.
        nama = reg.wilayah["nama"]
        quoted = pc.binary_join_element_wise(pa.scalar('"'), pc.replace_substring(nama, '"', '""'), pa.scalar('"'), "")
        nama = pc.if_else(pc.match_substring_regex(nama, '[,"]'), quoted, nama)
        n_wilayah = writers.lines(
            pc.binary_join_element_wise(reg.wilayah["kode"], nama, ","), out / WILAYAH, header="kode,nama", eol="\r\n"
        )
    order = np.argsort(reg.kode_bps.to_numpy(zero_copy_only=False), kind="stable")
    bps = pa.table({"kode_bps": reg.kode_bps.take(pa.array(order)), "kode_kemendagri": reg.kode_titik(order)})
    return Hasil(rows={WILAYAH: n_wilayah, BPS: writers.csv(bps, out / BPS)})
