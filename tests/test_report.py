"""The run report from a small manifest and a few Parquet files: the headline an operator
reads first, real tables, the plots, reused stages, the table artifact, no personal data."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows import report

NIKS = [f"320101010190{i:04d}" for i in range(12)]
KKS = [f"320101000000{f:04d}" for f in range(4)]


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def ranked_run(run_dir: Path, families: list[str], persons: list[tuple[str, str]]) -> Path:
    """A run's ranked families and persons, its matches and region reference."""
    sizes = {kk: sum(1 for _, k in persons if k == kk) for kk in families}
    write(
        run_dir / "ranked/keluarga.parquet",
        [
            {
                "no_kk": kk,
                "kode_prov": kk[:2],
                "jumlah_anggota": sizes[kk],
                "desil_nasional": 1 + 3 * i,
                "skor_kesejahteraan": 400_000.0 * (i + 1),
            }
            for i, kk in enumerate(families)
        ],
    )
    write(run_dir / "ranked/individu.parquet", [{"nik": n, "no_kk": k, "kode_prov": k[:2]} for n, k in persons])
    write(
        run_dir / "matched/tautan_sumber.parquet",
        [
            {"sumber": "DTKS", "id_sumber": f"D{i}", "nik": n, "metode_padan": m, "kode_prov": p}
            for i, (n, m, p) in enumerate(
                [
                    (NIKS[0], "NIK_EXACT", "32"),
                    (NIKS[1], "NIK_EXACT", "32"),
                    (NIKS[2], "NIK_REPAIRED", "32"),
                    (None, "TIDAK_PADAN", "51"),
                    (NIKS[3], "PROBABILISTIC", "51"),
                ]
            )
        ],
    )
    write(
        run_dir / "standardized/ref_wilayah/nasional.parquet",
        [
            {"kode": "32", "nama": "Jawa Barat", "tingkat": "PROVINSI", "kode_prov": "32"},
            {"kode": "51", "nama": "Bali", "tingkat": "PROVINSI", "kode_prov": "51"},
        ],
    )
    return run_dir


def manifest(run_id: str, families: int, persons: int) -> dict:
    return {
        "run_id": run_id,
        "cutoff": run_id[:10],
        "seconds": {
            "land": 0.1,
            "standardize": 3.2,
            "validate_standardized": 0.0,
            "match": 0.0,
            "rank": 1.4,
            "publish": 2.0,
        },
        "dipakai_ulang": ["match-national", "validate-baku"],
        "rekonsiliasi": {
            "dtks": {
                "berkas": 1,
                "dibaca": 6,
                "diterima": 5,
                "dikarantina": 1,
                "seimbang": True,
                "karantina_per_aturan": {"ID_GANDA": 1},
                "cacat_per_aturan": {"NIK_NOTASI_ILMIAH": 1},
            }
        },
        "mutu": {
            "status": "PERINGATAN",
            "kritis_gagal": [],
            "peringatan": ["baku.rumah_tangga:KODE_R303_DIKENAL"],
            "rangkaian": {
                "baku.rumah_tangga": {
                    "per_aturan": {
                        "KK_16_DIGIT": {"tingkat": "critical", "sukses": True, "diperiksa": 4, "gagal": 0},
                        "KODE_R303_DIKENAL": {"tingkat": "warning", "sukses": False, "diperiksa": 4, "gagal": 1},
                    }
                }
            },
            "data_docs": f"/nowhere/runs/{run_id}/mutu/gx/uncommitted/data_docs/local_site/index.html",
        },
        "padan": {
            "catatan": 5,
            "per_metode": {"DTKS": {"NIK_EXACT": 2, "NIK_REPAIRED": 1, "PROBABILISTIC": 1, "TIDAK_PADAN": 1}},
            "model_probabilistik": {
                "catatan": 2,
                "dilatih": False,
                "model": "model_cadangan.json",
                "alasan": "terlalu sedikit catatan untuk melatih model",
            },
        },
        "satukan": {"keluarga": families, "individu": persons},
        "peringkat": {
            "keluarga": families,
            "model": {"id": "pmt-abc123", "cara": "cadangan: sampel 12 < 1000", "statistik": {"r2": 0.794, "n": 5706}},
        },
        "terbit": {"tag": run_id[:10], "baru": True},
    }


@dataclass
class Snapshot:  # the fields of warehouse.Snapshot the report reads
    tag: str
    cutoff: dt.date
    revisi: int
    run_id: str
    jumlah_baris: dict


@pytest.fixture
def runs(tmp_path) -> dict:
    """Two runs: November (4 families, 12 persons) and December (one family left, one
    entered with two new persons)."""
    before = [(n, KKS[i // 3]) for i, n in enumerate(NIKS)]
    ranked_run(tmp_path / "runs/2026-11-17_aaaa", KKS, before)
    now_families = KKS[1:] + ["3201010000009999"]
    now = [p for p in before if p[1] != KKS[0]] + [
        ("3201010101909998", now_families[-1]),
        ("3201010101909999", now_families[-1]),
    ]
    run = ranked_run(tmp_path / "runs/2026-12-17_bbbb", now_families, now)
    previous = Snapshot("2026-11-17", dt.date(2026, 11, 17), 1, "2026-11-17_aaaa", {"keluarga": 4, "individu": 12})
    return {"run": run, "manifest": manifest("2026-12-17_bbbb", 4, 11), "previous": previous}


def text_of(page: str) -> str:
    """What a reader sees: the tags gone, the entities read."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_report_opens_with_the_headline(runs):
    content = report.gather(runs["run"], runs["manifest"], previous=runs["previous"])
    path = report.write_html(content, runs["run"] / "laporan.html")
    page = path.read_text()
    head = page[: page.index("<h2")]  # everything before the first section
    words = text_of(head)
    assert "cut-off 2026-12-17" in words
    assert "PERINGATAN" in words and "baku.rumah_tangga:KODE_R303_DIKENAL" in words  # status and its warnings
    assert re.search(r"Families 4 ", words) and re.search(r"Persons 11 ", words)
    # Against November: one family left and one entered (count unchanged), one person net fewer.
    assert "snapshot 2026-11-17" in words
    assert "+0 families (was 4): 1 entered, 1 left" in words
    assert "-1 persons (was 12): 2 entered, 3 left" in words
    # The welfare model and that it is the stored fallback; the matching model's fallback too.
    assert "pmt-abc123" in words and "fallback" in words and "R² 0.794, n 5,706" in words
    assert "model_cadangan.json" in words


def test_the_model_line_gives_the_out_of_sample_error_when_the_model_was_fitted_on_the_sample(runs):
    from tests.warehouse.runs import targeting_error

    stored = text_of(
        report.write_html(report.gather(runs["run"], runs["manifest"], None), runs["run"] / "a.html").read_text()
    )
    assert "no out-of-sample targeting error" in stored  # the fallback model of the fixture
    runs["manifest"]["peringkat"]["galat_penargetan"] = targeting_error(0.2034, 0.181, 0.2275)
    fitted = report.gather(runs["run"], runs["manifest"], None)
    page = text_of(report.write_html(fitted, runs["run"] / "b.html").read_text())
    assert "out of sample it leaves out 20.3% (95%: 18.1-22.8) of the poorest 40%" in page
    assert "out of sample it leaves out 20.3%" in report.markdown(fitted)
    assert "the sources' errors not included" in page  # a survey without cards
    runs["manifest"]["peringkat"]["galat_penargetan"] = targeting_error(0.2034, 0.181, 0.2275, alone=0.1912)
    with_sources = report.gather(runs["run"], runs["manifest"], None)
    page = text_of(report.write_html(with_sources, runs["run"] / "c.html").read_text())
    assert "the 987 survey households found in the sources" in page
    assert "the model alone 19.1%, the sources' errors +0.8 points" in page


def test_a_first_snapshot_says_there_is_nothing_to_compare_with(runs):
    page = report.write_html(
        report.gather(runs["run"], runs["manifest"], previous=None), runs["run"] / "laporan.html"
    ).read_text()
    assert "first snapshot" in text_of(page[: page.index("<h2")])


def test_the_report_has_html_tables_and_plots_and_no_markdown(runs):
    content = report.gather(runs["run"], runs["manifest"], previous=runs["previous"])
    page = report.write_html(content, runs["run"] / "laporan.html").read_text()
    assert page.count("<table") >= 5 and "<pre" not in page and "|---" not in page
    images = re.findall(r"<img alt='([^']+)' src='data:image/png;base64,", page)
    assert images == ["Welfare score distribution", "Match method by province", "Time per stage"]
    assert "<td>Jawa Barat</td>" in page and "<td>Bali</td>" in page  # provinces by name
    assert "http://" not in page and "https://" not in page and "<script" not in page  # opens offline


def test_a_reused_stage_says_reused_not_zero_seconds(runs):
    runs["manifest"]["landed"] = {"reused": True}  # the delivery recognised: landed before
    content = report.gather(runs["run"], runs["manifest"], previous=None)
    page = report.write_html(content, runs["run"] / "laporan.html").read_text()
    for stage in ("land", "match", "validate_standardized"):
        assert f"<td>{stage}</td><td class='n'>reused</td>" in page
    assert "<td>standardize</td><td class='n'>3.2</td>" in page
    assert "<td><b>total</b></td><td class='n'><b>6.7</b></td>" in page
    assert "| match | reused |" in report.markdown(content)


def test_the_partition_plan_is_shown_largest_first(runs):
    runs["manifest"]["partisi"] = [
        {"partisi": "11..31", "kabupaten": 40, "orang": 900},
        {"partisi": "32-1", "kabupaten": 9, "orang": 2500},
        {"partisi": "32-2", "kabupaten": 18, "orang": 2400},
    ]
    runs["manifest"]["padan"]["ember_nik"] = 3
    content = report.gather(runs["run"], runs["manifest"], previous=None)
    words = text_of(report.write_html(content, runs["run"] / "laporan.html").read_text())
    assert "3 partitions, 3 NIK buckets" in words
    assert words.index("32-1 9 2,500") < words.index("32-2 18 2,400") < words.index("11..31 40 900")
    assert "## Partitions (3 partitions, 3 NIK buckets)" in report.markdown(content)
    runs["manifest"]["partisi"] = []  # a run before partitions: no section
    assert (
        "Partitions"
        not in report.write_html(
            report.gather(runs["run"], runs["manifest"], previous=None), runs["run"] / "laporan.html"
        ).read_text()
    )


def test_every_row_of_the_table_artifact_has_the_seconds_column(runs):
    rows = report.table(report.gather(runs["run"], runs["manifest"], previous=None))
    assert {r["bagian"] for r in rows} == {"desil", "detik"}
    assert all(list(r) == list(rows[0]) for r in rows)  # Prefect's columns come from the first row
    seconds = {r["nama"]: r["detik"] for r in rows if r["bagian"] == "detik"}
    assert seconds == runs["manifest"]["seconds"]
    assert {r["nama"] for r in rows if r["catatan"] == "reused"} == {"match", "validate_standardized"}


def test_no_personal_data_in_any_form_of_the_report(runs):
    content = report.gather(runs["run"], runs["manifest"], previous=runs["previous"])
    text = (
        report.write_html(content, runs["run"] / "laporan.html").read_text()
        + report.markdown(content)
        + repr(report.table(content))
    )
    assert not [v for v in NIKS + KKS + ["3201010101909999", "3201010000009999"] if v in text]


def test_the_previous_snapshot_is_the_one_before_the_run(monkeypatch):
    import warehouse

    published = [
        Snapshot("2026-10-17", dt.date(2026, 10, 17), 1, "r10", {}),
        Snapshot("2026-11-17", dt.date(2026, 11, 17), 1, "r11", {}),
        Snapshot("2026-11-17-r2", dt.date(2026, 11, 17), 2, "r11b", {}),
        Snapshot("2026-12-17", dt.date(2026, 12, 17), 1, "r12", {}),
    ]
    monkeypatch.setattr(warehouse, "open_catalog", lambda settings=None: None)
    monkeypatch.setattr(warehouse, "snapshots", lambda catalog: published)

    def tag(run_id: str, cutoff: str) -> str | None:
        return getattr(report.previous_snapshot({"run_id": run_id, "cutoff": cutoff}), "tag", None)

    assert tag("r12", "2026-12-17") == "2026-11-17-r2"  # published: the one before it
    assert tag("r11", "2026-11-17") == "2026-10-17"
    assert tag("r10", "2026-10-17") is None  # the first
    assert tag("gagal", "2026-12-17") == "2026-12-17"  # stopped before publishing: the current one
    assert tag("isi-ulang", "2026-11-30") == "2026-11-17-r2"  # a backfill: the newest up to its cut-off


def test_a_run_stopped_at_the_first_quality_gate_still_gets_its_report(tmp_path):
    """Before matching: no families, no model, no plots of them; the failure up front."""
    stopped = manifest("2026-12-17_cccc", 0, 0)
    for key in ("padan", "satukan", "peringkat", "terbit", "dipakai_ulang"):
        stopped.pop(key)
    stopped["mutu"] |= {"status": "GAGAL", "kritis_gagal": ["baku.orang:NIK_16_DIGIT"]}
    content = report.gather(tmp_path, stopped, previous=None)
    page = report.write_html(content, tmp_path / "laporan.html").read_text()
    words = text_of(page[: page.index("<h2")])
    assert "GAGAL" in words and "baku.orang:NIK_16_DIGIT" in words and "not published" in words
    assert "not counted: the run stopped before unifying" in words and "no welfare model" in words
    assert re.findall(r"<img alt='([^']+)'", page) == ["Time per stage"]


def groups(*rows: tuple[str, int, int]) -> dict:
    return {g: {"catatan": n, "padan": p, "laju": round(p / n, 4)} for g, n, p in rows}


# DTKS, 405 records, 359 linked (88.6%): desil 1 and the youngest well below it; the unknown
# groups too, but with 5 records each, too few to be marked.
LAJU = {
    "kelompok_umur": ["0-4", "5-14", "15-24", "25-44", "45-64", "65+"],
    "per_desil": {"DTKS": groups(("1", 100, 60), ("2", 300, 297), ("tidak diketahui", 5, 2))},
    "per_kelompok_umur": {"DTKS": groups(("0-4", 50, 20), ("25-44", 350, 337), ("tidak diketahui", 5, 2))},
    "per_provinsi": {"DTKS": groups(("32", 400, 357), ("51", 5, 2))},
    "seimbang": True,
}


def test_the_report_shows_who_fails_to_link(runs):
    runs["manifest"]["laju_padan"] = LAJU
    content = report.gather(runs["run"], runs["manifest"], previous=None)
    page = report.write_html(content, runs["run"] / "laporan.html").read_text()
    section = page[page.index("Who fails to link") : page.index("Quality rules")]
    words = text_of(section)
    # By decile: the source's overall rate first, then 1, 2, and the unknown group last.
    assert re.search(
        r"desil DTKS all 88\.6% 359/405 1 60\.0% 60/100 2 99\.0% 297/300 tidak diketahui 40\.0% 2/5", words
    )
    assert re.search(r"age band DTKS all 88\.6% 359/405 0-4 40\.0% 20/50 25-44 96\.3% 337/350 tidak diketahui", words)
    # Marked low: desil 1 and age 0-4; not the unknown groups of 5 records.
    assert re.findall(r"<span class='rendah'>([^<]+)</span>", section) == ["Red", "60.0%", "40.0%"]
    # Provinces: the lowest rate first, by name.
    lowest = section[section.index("Provinces with the lowest rate") :]
    assert text_of(lowest).startswith("Provinces with the lowest rate (2 of 2) kode province all sources DTKS 51 Bali")
    assert re.findall(r"<img alt='([^']+)'", page) == [
        "Welfare score distribution",
        "Match method by province",
        "Link rate by decile and age band",
        "Time per stage",
    ]
    md = report.markdown(content)
    assert (
        "## Link rate by desil" in md and "| 1 | 60.0% (60/100) |" in md and "| tidak diketahui | 40.0% (2/5) |" in md
    )
    assert "| 0-4 | 40.0% (20/50) |" in md and "| 51 Bali | 40.0% (2/5) | 40.0% (2/5) |" in md


def test_no_link_rates_no_section(runs):
    page = report.write_html(report.gather(runs["run"], runs["manifest"], previous=None), runs["run"] / "x.html")
    assert "Who fails to link" not in page.read_text()
    assert "Link rate" not in report.markdown(report.gather(runs["run"], runs["manifest"], previous=None))
