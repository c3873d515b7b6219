"""Hand-made runs to publish: a few families in two provinces, written in the shapes the
pipeline's stages write, with a manifest."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def family(no_kk: str, desil: int, *niks: str) -> dict:
    return {"no_kk": no_kk, "desil": desil, "niks": list(niks)}


def write_run(
    root: Path,
    cutoff: str,
    fingerprint: str,
    families: list[dict],
    dead: tuple[str, ...] = (),
    quarantined: int = 1,
    mutu: dict | None = None,
    galat: dict | None = None,
) -> Path:
    """A run folder as `dtsen refresh` leaves it; `dead`: NIKs whose source record went to
    verification because the registry records a death; `mutu`: its quality summary (passed by
    default; None in the manifest is a run published without quality results); `galat`: its
    model's out-of-sample targeting error (none by default: a model not fitted on the run's sample)."""
    run = root / f"{cutoff}_{fingerprint[:12]}"
    for sub in ("ranked", "matched", "unified", "karantina/dtks"):
        (run / sub).mkdir(parents=True, exist_ok=True)
    kel, ind, tautan = [], [], []
    for f in families:
        prov = f["no_kk"][:2]
        desa = f["no_kk"][:6] + "2001"
        kel.append(
            {
                "no_kk": f["no_kk"],
                "kode_desa": desa,
                "kode_prov": prov,
                "jumlah_anggota": len(f["niks"]),
                "nik_kepala_keluarga": f["niks"][0],
                "sumber": ["DTKS"],
                "skor_kesejahteraan": 1e6 * f["desil"],
                "desil_nasional": f["desil"],
                # the first family's MAMPU objection (below) holds
                "layak_sasaran": f is not families[0],
                "rumah_tangga_sumber": [{"sumber": "DTKS", "id_keluarga_sumber": f"K{f['no_kk']}", "utama": True}],
                "keputusan": [
                    {"id_usulan": "U1", "jenis": "SANGGAHAN", "alasan": "MAMPU", "tanggal": dt.date(2026, 10, 2)}
                ]
                if f is families[0]
                else None,
            }
        )
        for i, nik in enumerate(f["niks"]):
            ind.append(
                {
                    "nik": nik,
                    "no_kk": f["no_kk"],
                    "nama": f"ORANG {nik[-4:]}",
                    "tgl_lahir": dt.date(1980, 1, 1 + i),
                    "jenis_kelamin": 1,
                    "kode_desa": desa,
                    "kode_prov": prov,
                    "desil_nasional": f["desil"],
                }
            )
            tautan.append(
                {
                    "sumber": "DTKS",
                    "id_sumber": f"D{nik}",
                    "nik": nik,
                    "metode_padan": "NIK_EXACT",
                    "probabilitas": 1.0,
                    "kode_prov": prov,
                }
            )
    verifikasi = []
    for nik in dead:
        tautan.append(
            {
                "sumber": "DTKS",
                "id_sumber": f"D{nik}",
                "nik": nik,
                "metode_padan": "NIK_EXACT",
                "probabilitas": 1.0,
                "kode_prov": nik[:2],
            }
        )
        verifikasi.append(
            {
                "tingkat": "CATATAN",
                "sumber": "DTKS",
                "id_sumber": f"D{nik}",
                "alasan": "MENINGGAL",
                "nik_cacat": None,
                "kode_desa": nik[:6] + "2001",
                "kode_prov": nik[:2],
            }
        )
    verifikasi.append(
        {
            "tingkat": "CATATAN",
            "sumber": "P3KE",
            "id_sumber": "P1",
            "alasan": "TIDAK_PADAN_TANPA_NIK",
            "nik_cacat": "320101**********",
            "kode_desa": "3201012001",
            "kode_prov": "32",
        }
    )
    pq.write_table(pa.Table.from_pylist(kel), run / "ranked" / "keluarga.parquet")
    pq.write_table(pa.Table.from_pylist(ind), run / "ranked" / "individu.parquet")
    pq.write_table(pa.Table.from_pylist(tautan), run / "matched" / "tautan_sumber.parquet")
    pq.write_table(pa.Table.from_pylist(verifikasi), run / "unified" / "verifikasi.parquet")
    pq.write_table(
        pa.Table.from_pylist(
            [
                {
                    "sumber": "DTKS",
                    "berkas": "dtks/dtks_32.csv",
                    "baris": 7 + i,
                    "id_sumber": f"Q{i}",
                    "aturan": "NIK_FORMAT",
                    "kolom": "NIK",
                    "nilai": "320101**********",
                }
                for i in range(quarantined)
            ]
        ),
        run / "karantina" / "dtks" / "32.parquet",
    )
    usulan = [
        {
            "id_usulan": f"U{i}",
            "kanal": "APLIKASI",
            "jenis": jenis,
            "tanggal": dt.date(2026, 10, i + 1),
            "status": status,
            "no_kk": f["no_kk"],
            "kode_desa": f["no_kk"][:6] + "2001",
            "kode_prov": f["no_kk"][:2],
            "alasan": alasan,
            "hasil": hasil,
            "keterangan": "TIDAK_LAYAK_SASARAN" if alasan else None,
            "bertentangan": False,
            # an earlier correction of the family that this entry's outcome ended
            "berakhir": "DIGANTIKAN:U0" if alasan else None,
        }
        for i, (f, jenis, status, alasan, hasil) in enumerate(
            [
                (families[0], "PERBAIKAN", "DIAJUKAN", None, "MENUNGGU"),
                (families[0], "SANGGAHAN", "TERVERIFIKASI_DINSOS", "MAMPU", "DITERAPKAN"),
            ][: len(families)]
        )
    ]
    pq.write_table(pa.Table.from_pylist(usulan), run / "unified" / "usulan.parquet")
    manifest = {"run_id": run.name, "cutoff": cutoff, "landed": {"fingerprint": fingerprint}, "code_version": "test"}
    manifest["mutu"] = {"status": "LULUS", "peringatan": []} if mutu is None else mutu
    if not manifest["mutu"]:
        del manifest["mutu"]
    if galat is not None:
        manifest["peringkat"] = {"galat_penargetan": galat}
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


def targeting_error(exclusion: float, low: float, high: float, alone: float | None = None) -> dict:
    """A targeting error as transforms/rank/galat.py writes it, desil 1-4's as given; with
    `alone`, the model's error on the survey's inputs beside it (the households found in the
    sources scored by the sources' inputs), else the survey's inputs only."""

    def figures(value: float) -> dict:
        programme = {
            "bagian_termiskin": 0.4,
            "galat_eksklusi": value,
            "selang_eksklusi_95": [low, high],
            "galat_inklusi": value,
            "selang_inklusi_95": [low, high],
        }
        return {
            "spearman": {"nilai": 0.85, "selang_95": [0.83, 0.87]},
            "program": {"desil_1_2": programme, "desil_1_4": programme, "desil_1_5": programme},
        }

    base = {"lipatan": 5, "rumah_tangga": 1122, "desa": 456, **figures(exclusion)}
    if alone is None:
        return base | {"masukan": "survei", "rumah_tangga_di_sumber": 0}
    return base | {
        "masukan": "sumber",
        "rumah_tangga_di_sumber": 987,
        "tanpa_galat_masukan": figures(alone),
        "galat_masukan_eksklusi_desil_1_4": {"nilai": exclusion - alone - 0.004, "selang_95": [0.0, 0.02]},
    }
