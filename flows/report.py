"""The run report: what an operator reads after a refresh. Counts and rates only, never
personal data (no NIK, KK, name or birth date): the headline (cut-off, quality status,
families and persons, the change against the previous snapshot, the welfare model), rows
per stage, quarantine by rule, the welfare score distribution with the decile cut-offs,
match rates by source and province, the quality rules, the time per stage.

Three forms of one content: a Prefect markdown artifact and a table artifact (in the UI,
beside the flow run), and a self-contained HTML file with plots saved with the run
(`runs/<id>/laporan.html`, linked from `dtsen snapshots`).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import math
import os
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from pathlib import Path

import duckdb

from transforms.engine import one_row
from warehouse.registry import targeting_error

# The flow's task names (manifest `dipakai_ulang`) and the keys of its `seconds`. A stage of
# partition tasks counts as reused when its last task was; its partitions reused before a
# stop are listed by their task names.
REUSED_STAGE = {
    "standardize-reference": "standardize_reference",
    "standardize": "standardize",
    "match-national": "match",
    "unify-gather": "unify",
    "rank-gather": "rank",
    "laju-padan": "laju_padan",
    "validate-baku": "validate_standardized",
    "validate-terpadu": "validate_unified",
    "validate-terbit": "validate_snapshot",
}
METHODS = ("NIK_EXACT", "NIK_REPAIRED", "PROBABILISTIC", "TIDAK_PADAN")
# Link rates (manifest `laju_padan`, transforms/match/laju.py): the group not known; how far
# below its source's overall rate a group's rate is marked low, and the records a group needs
# for that mark and for a point in the plot (a rate of 9 of 10 records says little).
TIDAK_DIKETAHUI = "tidak diketahui"
LAJU_RENDAH = 0.05
LAJU_MINIMUM_CATATAN = 30
PROVINSI_TERENDAH = 10
HISTOGRAM_BINS = 60
LOOK_UP = object()  # gather(): find the previous snapshot in the warehouse


# -- gathering -------------------------------------------------------------------------------


def previous_snapshot(manifest: dict):
    """The snapshot this run is compared with: the one before it in the registry's order
    (cut-off, revision), other runs only. For a run not published (stopped by the quality
    gate), the newest one up to its cut-off: the one that stays current."""
    from dtsen.settings import get_settings
    from warehouse import open_catalog, snapshots

    published = snapshots(open_catalog(get_settings()))
    mine = [i for i, s in enumerate(published) if s.run_id == manifest["run_id"]]
    if mine:
        earlier = published[: mine[0]]
    else:
        earlier = [s for s in published if s.cutoff.isoformat() <= manifest["cutoff"]]
    earlier = [s for s in earlier if s.run_id != manifest["run_id"]]
    return earlier[-1] if earlier else None


def _table(run_dir: Path, name: str) -> Path | None:
    """A run's published-table file: ranked when ranking ran, else unified (a stopped run)."""
    for stage in ("ranked", "unified"):
        f = Path(run_dir) / stage / f"{name}.parquet"
        if f.exists():
            return f
    return None


def change(con: duckdb.DuckDBPyConnection, run_dir: Path, manifest: dict, previous) -> dict | None:
    """Families and persons against the previous snapshot: its counts (the registry keeps
    them), and which entered or left when its run folder is here: one join of the keys per
    table (1 s for 10M persons). On the keys themselves: DuckDB's hash() collides on NIKs
    a few digits apart."""
    if previous is None:
        return None
    now = {t: manifest.get("satukan", {}).get(t) for t in ("keluarga", "individu")}
    out: dict = {"tag": previous.tag, "cutoff": previous.cutoff.isoformat()}
    for table, key in (("keluarga", "no_kk"), ("individu", "nik")):
        before = previous.jumlah_baris.get(table)
        part = {
            "sebelumnya": before,
            "sekarang": now[table],
            "selisih": None if before is None or now[table] is None else now[table] - before,
            "masuk": None,
            "keluar": None,
        }
        a, b = _table(run_dir.parent / previous.run_id, table), _table(run_dir, table)
        if a is not None and b is not None:
            part["masuk"], part["keluar"] = one_row(
                con,
                f"""
                SELECT count(*) FILTER (WHERE a.k IS NULL), count(*) FILTER (WHERE b.k IS NULL)
                FROM (SELECT {key} AS k FROM read_parquet($b)) b
                FULL OUTER JOIN (SELECT {key} AS k FROM read_parquet($a)) a ON a.k = b.k""",
                {"a": str(a), "b": str(b)},
            )
        out[table] = part
    return out


def model_used(manifest: dict) -> dict | None:
    """The welfare model: its id, how it was chosen (`cara`, transforms/rank: fitted on the
    sample, the stored fallback `cadangan: ...`, or a reused file `dipakai ulang: ...`)."""
    model = manifest.get("peringkat", {}).get("model")
    if not model:
        return None
    cara, stats = model.get("cara", ""), model.get("statistik", {})
    kind = (
        "cadangan"
        if cara.startswith("cadangan")
        else "dipakai_ulang"
        if cara.startswith("dipakai ulang")
        else "dilatih"
    )
    return {
        "id": model["id"],
        "cara": cara,
        "jenis": kind,
        "cadangan": kind == "cadangan",
        "r2": stats.get("r2"),
        "n": stats.get("n"),
        "galat_penargetan": targeting_error(manifest),
    }


def province_names(run_dir: Path) -> dict[str, str]:
    """Province code -> name from the run's standardized region reference (the landed list)."""
    files = sorted((Path(run_dir) / "standardized" / "ref_wilayah").glob("*.parquet"))
    if not files:
        return {}
    return dict(
        duckdb.execute(
            "SELECT kode, nama FROM read_parquet($f) WHERE tingkat = 'PROVINSI'", {"f": [str(f) for f in files]}
        ).fetchall()
    )


def _histogram(con: duckdb.DuckDBPyConnection, ranked: Path) -> dict | None:
    """Persons per welfare score bin on a log scale (DuckDB: the rows never leave it)."""
    lo_hi = one_row(
        con,
        "SELECT ln(min(skor_kesejahteraan)), ln(max(skor_kesejahteraan)) FROM read_parquet($f) "
        "WHERE skor_kesejahteraan > 0",
        {"f": str(ranked)},
    )
    if lo_hi[0] is None:
        return None
    lo, hi = lo_hi
    hi = hi if hi > lo else lo + 1e-6
    bins = con.execute(
        """
        SELECT least(CAST(floor((ln(skor_kesejahteraan) - $lo) / ($hi - $lo) * $n) AS INTEGER), $n - 1) AS bin,
            sum(jumlah_anggota), count(*)
        FROM read_parquet($f) WHERE skor_kesejahteraan > 0 GROUP BY bin ORDER BY bin""",
        {"f": str(ranked), "lo": lo, "hi": hi, "n": HISTOGRAM_BINS},
    ).fetchall()
    persons = [0] * HISTOGRAM_BINS
    for b, p, _ in bins:
        persons[b] = int(p or 0)
    edges = [math.exp(lo + i * (hi - lo) / HISTOGRAM_BINS) for i in range(HISTOGRAM_BINS + 1)]
    return {"batas": edges, "orang": persons}


def gather(run_dir: Path, manifest: dict, previous=LOOK_UP) -> dict:
    """The report's content from the run's manifest and its (aggregated) outputs.

    `previous`: the snapshot to compare with (a `warehouse.Snapshot` or None for none);
    by default looked up in the warehouse."""
    run_dir = Path(run_dir)
    con = duckdb.connect()
    matched = run_dir / "matched" / "tautan_sumber.parquet"
    ranked = run_dir / "ranked" / "keluarga.parquet"
    match_rates = (
        con.execute(
            "SELECT kode_prov, metode_padan, count(*) FROM read_parquet($f) GROUP BY ALL ORDER BY ALL",
            {"f": str(matched)},
        ).fetchall()
        if matched.exists()
        else []
    )
    per_decile = (
        con.execute(
            "SELECT desil_nasional, count(*), sum(jumlah_anggota), min(skor_kesejahteraan), max(skor_kesejahteraan) "
            "FROM read_parquet($f) GROUP BY 1 ORDER BY 1",
            {"f": str(ranked)},
        ).fetchall()
        if ranked.exists()
        else []
    )
    quarantine: dict[str, int] = {}
    for extract in manifest.get("rekonsiliasi", {}).values():
        for rule, n in extract["karantina_per_aturan"].items():
            quarantine[rule] = quarantine.get(rule, 0) + n
    mutu = manifest.get("mutu", {})
    rules = []
    for suite, s in mutu.get("rangkaian", {}).items():
        for rule, r in s["per_aturan"].items():
            rules.append(
                {
                    "rangkaian": suite,
                    "aturan": rule,
                    "tingkat": r["tingkat"],
                    "diperiksa": r["diperiksa"],
                    "gagal": r["gagal"],
                    "sukses": r["sukses"],
                }
            )
            if r["gagal"]:
                quarantine[f"mutu:{rule}"] = quarantine.get(f"mutu:{rule}", 0) + r["gagal"]
    stages = {
        "dibaca": sum(r["dibaca"] for r in manifest.get("rekonsiliasi", {}).values()),
        "dikarantina": sum(r["dikarantina"] for r in manifest.get("rekonsiliasi", {}).values()),
        "catatan_dipadankan": manifest.get("padan", {}).get("catatan"),
        "keluarga": manifest.get("satukan", {}).get("keluarga"),
        "individu": manifest.get("satukan", {}).get("individu"),
        "keluarga_berperingkat": manifest.get("peringkat", {}).get("keluarga"),
    }
    unknown = None
    if previous is LOOK_UP:
        try:
            previous = previous_snapshot(manifest)
        except Exception as e:
            previous, unknown = None, f"the warehouse could not be read: {type(e).__name__}"
    docs = mutu.get("data_docs")
    report = {
        "run_id": manifest["run_id"],
        "cutoff": manifest["cutoff"],
        "status_mutu": mutu.get("status", "BELUM_DIPERIKSA"),
        "peringatan": mutu.get("peringatan", []),
        "kritis_gagal": mutu.get("kritis_gagal", []),
        "keluarga": manifest.get("satukan", {}).get("keluarga"),
        "individu": manifest.get("satukan", {}).get("individu"),
        "perubahan": change(con, run_dir, manifest, previous),
        "stabilitas": manifest.get("peringkat", {}).get("stabilitas"),
        "pembanding_tidak_diketahui": unknown,
        "model": model_used(manifest),
        "model_padan": manifest.get("padan", {}).get("model_probabilistik"),
        "tahap": {k: v for k, v in stages.items() if v is not None},
        "ekstrak": {
            name: {k: r.get(k) for k in ("berkas", "dibaca", "diterima", "dikarantina", "seimbang", "cacat_per_aturan")}
            for name, r in manifest.get("rekonsiliasi", {}).items()
        },
        "detik": manifest.get("seconds", {}),
        # Stages an earlier attempt at the same delivery did: cached tasks, and the landed
        # copy when the delivery was recognised.
        "dipakai_ulang": sorted(
            {REUSED_STAGE.get(s, s) for s in manifest.get("dipakai_ulang", [])}
            | ({"land"} if manifest.get("landed", {}).get("reused") else set())
        ),
        "karantina_per_aturan": dict(sorted(quarantine.items(), key=lambda kv: -kv[1])),
        "padan_per_provinsi": match_rates,
        "padan_per_sumber": manifest.get("padan", {}).get("per_metode", {}),
        "laju_padan": manifest.get("laju_padan"),
        "provinsi": province_names(run_dir),
        "desil": [(d, f, p) for d, f, p, _, _ in per_decile],
        "skor_per_desil": [(d, lo, hi) for d, _, _, lo, hi in per_decile if d is not None],
        "histogram_skor": _histogram(con, ranked) if ranked.exists() else None,
        "aturan_mutu": rules,
        "data_docs": os.path.relpath(docs, run_dir) if docs else None,
        "snapshot": manifest.get("terbit", {}).get("tag"),
        "snapshot_baru": manifest.get("terbit", {}).get("baru"),
        "partisi": manifest.get("partisi", []),
        "ember_nik": manifest.get("padan", {}).get("ember_nik"),
    }
    con.close()
    return report


# -- the headline, shared by the markdown and the HTML ---------------------------------------


def _signed(n: int | None) -> str:
    return "?" if n is None else f"{n:+,}"


def change_line(part: dict | None, what: str) -> str:
    if part is None:
        return ""
    line = (
        f"{_signed(part['selisih'])} {what} (was {part['sebelumnya']:,})"
        if part["sebelumnya"] is not None
        else f"{what}: previous count unknown"
    )
    if part["masuk"] is not None:
        line += f": {part['masuk']:,} entered, {part['keluar']:,} left"
    return line


def comparison(report: dict) -> str:
    c = report["perubahan"]
    if report["pembanding_tidak_diketahui"]:
        return f"previous snapshot unknown ({report['pembanding_tidak_diketahui']})"
    if c is None:
        return "first snapshot: there is no previous one to compare with"
    return f"against snapshot {c['tag']}: " + "; ".join(
        change_line(c[t], w) for t, w in (("keluarga", "families"), ("individu", "persons"))
    )


# The stability counts' columns (transforms/rank/stabilitas.py) as the report and `dtsen diff` name them.
STABILITY = {
    "keluarga_di_keduanya": "families in both",
    "desil_berubah": "changed decile",
    "sebab_masukan": "by own inputs",
    "sebab_model": "by the model",
    "sebab_batas": "by the cut-offs",
}


def stability_rows(found: dict, names: dict[str, str]) -> list[list[str]]:
    """Per province (code and name), then all: the stability counts, formatted."""
    rows = [
        [p["kode_prov"] or "?", names.get(p["kode_prov"] or "", ""), *(f"{p[k]:,}" for k in STABILITY)]
        for p in found["per_provinsi"]
    ]
    return rows + [["all", "", *(f"{found['jumlah'][k]:,}" for k in STABILITY)]]


def stability_line(found: dict | None) -> str:
    if not found:
        return "no previous snapshot to compare deciles with"
    n = found["jumlah"]
    return (
        f"since snapshot {found['terhadap']}, {n['desil_berubah']:,} of {n['keluarga_di_keduanya']:,} families "
        f"changed decile: {n['sebab_masukan']:,} by their own inputs, {n['sebab_model']:,} by the model, "
        f"{n['sebab_batas']:,} because the cut-offs moved"
    )


def targeting_line(figure: dict | None, programme: str = "desil_1_4") -> str:
    """`19.6% (95%: 15.7-23.0)`: one programme's out-of-sample exclusion error."""
    if not figure:
        return "-"
    p = figure["program"][programme]
    low, high = p["selang_eksklusi_95"]
    return f"{100 * p['galat_eksklusi']:.1f}% (95%: {100 * low:.1f}-{100 * high:.1f})"


def model_line(report: dict) -> str:
    m = report["model"]
    if m is None:
        return "no welfare model (the run stopped before ranking)"
    fit = f"R² {m['r2']:.3f}, n {m['n']:,}" if m["r2"] is not None and m["n"] is not None else "fit unknown"
    how = {
        "cadangan": f"FALLBACK: the stored model ({m['cara']})",
        "dipakai_ulang": f"reused model file ({m['cara']})",
        "dilatih": "fitted on this delivery's survey sample",
    }[m["jenis"]]
    return f"{m['id']}: {how}; {fit}; {targeting_sentence(m)}"


def targeting_sentence(model: dict) -> str:
    if not model.get("galat_penargetan"):
        return "no out-of-sample targeting error (the model was not fitted on this sample)"
    figure = model["galat_penargetan"]
    if figure.get("masukan") != "sumber":
        return (
            f"out of sample it leaves out {targeting_line(figure)} of the poorest 40% "
            "(desil 1-4; the model's error on the survey's inputs, the sources' errors not included: "
            "too few survey households found in the sources by their card)"
        )
    alone = figure["tanpa_galat_masukan"]["program"]["desil_1_4"]["galat_eksklusi"]
    cost = figure["galat_masukan_eksklusi_desil_1_4"]["nilai"]
    return (
        f"out of sample it leaves out {targeting_line(figure)} of the poorest 40% "
        f"(desil 1-4, the {figure['rumah_tangga_di_sumber']:,} survey households found in the sources, scored by "
        f"the sources' inputs; the model alone {100 * alone:.1f}%, the sources' errors {100 * cost:+.1f} points)"
    )


def matching_model_line(report: dict) -> str:
    m = report["model_padan"]
    if not m:
        return ""
    if m.get("dilatih"):
        return f"trained on this run ({m.get('catatan', 0):,} records left after the NIK steps)"
    if m.get("model"):
        return f"FALLBACK: stored {m['model']} ({m.get('alasan', 'not trained')})"
    return "not needed (no records left after the NIK steps)"


def total_seconds(report: dict) -> float:
    return sum(report["detik"].values())


def seconds_shown(report: dict, stage: str) -> str:
    v = report["detik"].get(stage)
    if stage in report["dipakai_ulang"]:
        return "reused" + (f" ({v:.1f} s)" if v is not None and v >= 1 else "")
    return f"{v:.1f}" if v is not None else ""


# -- link rates, shared by the markdown, the HTML and the plot ------------------------------

LAJU_RINCIAN = (("per_desil", "desil"), ("per_kelompok_umur", "age band"))


def link_groups(laju: dict, key: str) -> list[str]:
    """One breakdown's groups in report order (deciles 1-10, the age bands, province codes),
    the group not known last; only groups some source has records in."""
    seen = {g for per in laju.get(key, {}).values() for g in per}
    if key == "per_kelompok_umur":
        known = list(laju.get("kelompok_umur", []))
    else:
        known = sorted(seen - {TIDAK_DIKETAHUI}, key=lambda g: (len(g), g))  # "2" before "10"
    return [g for g in known if g in seen] + ([TIDAK_DIKETAHUI] if TIDAK_DIKETAHUI in seen else [])


def link_total(groups: dict) -> dict:
    """Records and links summed over groups, with the rate."""
    records, linked = sum(g["catatan"] for g in groups.values()), sum(g["padan"] for g in groups.values())
    return {"catatan": records, "padan": linked, "laju": linked / records if records else 0.0}


def link_sources(laju: dict) -> dict[str, dict]:
    """Per source, its records and links over all groups (every breakdown sums to them)."""
    return {source: link_total(groups) for source, groups in sorted(laju.get("per_desil", {}).items())}


def low_rate(group: dict, overall: dict) -> bool:
    return group["catatan"] >= LAJU_MINIMUM_CATATAN and overall["laju"] - group["laju"] >= LAJU_RENDAH


def province_link_rates(laju: dict) -> list[tuple[str, dict, dict[str, dict]]]:
    """(province, all sources' records and links, per source) per province, the lowest rate first."""
    per: dict[str, dict[str, dict]] = {}
    for source, groups in laju.get("per_provinsi", {}).items():
        for prov, g in groups.items():
            per.setdefault(prov, {})[source] = g
    rows = [(prov, link_total(by_source), by_source) for prov, by_source in per.items()]
    return sorted(rows, key=lambda r: (r[1]["laju"], -r[1]["catatan"], r[0]))


# -- markdown (Prefect artifact) -------------------------------------------------------------


def _methods(report: dict) -> tuple[list[str], dict[str, dict[str, int]]]:
    found = {m for _, m, _ in report["padan_per_provinsi"]}
    methods = [m for m in METHODS if m in found] + sorted(found - set(METHODS))
    per: dict[str, dict[str, int]] = {}
    for prov, method, n in report["padan_per_provinsi"]:
        per.setdefault(prov or "?", {})[method] = n
    return methods, per


def _count(v) -> str:
    return "?" if v is None else f"{v:,}"


def markdown(report: dict) -> str:
    published = report["snapshot"] or "not published"
    lines = [
        f"# DTSEN run {report['run_id']} (cut-off {report['cutoff']})",
        "",
        f"**Quality: {report['status_mutu']}**"
        + (f"; failed: {', '.join(report['kritis_gagal'])}" if report["kritis_gagal"] else "")
        + (f"; warnings: {', '.join(report['peringatan'])}" if report["peringatan"] else ""),
        "",
        f"- Snapshot: {published}",
        f"- Families {_count(report['keluarga'])}, persons {_count(report['individu'])}; {comparison(report)}",
        f"- Welfare model: {model_line(report)}",
        f"- Deciles: {stability_line(report['stabilitas'])}",
        *([f"- Matching model: {matching_model_line(report)}"] if report["model_padan"] else []),
        f"- Time: {total_seconds(report):.1f} s"
        + (
            f"; reused from an earlier attempt: {', '.join(report['dipakai_ulang'])}" if report["dipakai_ulang"] else ""
        ),
        "",
        "## Rows per stage",
        "",
        "| stage | rows |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v:,} |" for k, v in report["tahap"].items()]
    lines += ["", "## Time per stage (s)", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {k} | {seconds_shown(report, k)} |" for k in report["detik"]]
    if report["partisi"]:
        lines += ["", f"## Partitions ({partition_line(report)})", "", "| partition | regencies | persons |"]
        lines += ["|---|---|---|"] + [f"| {p} | {k:,} | {n:,} |" for p, k, n in partition_rows(report)]
    lines += ["", "## Quarantine by rule", "", "| rule | rows |", "|---|---|"]
    lines += [f"| {k} | {v:,} |" for k, v in report["karantina_per_aturan"].items()] or ["| (none) | 0 |"]
    methods, per = _methods(report)
    lines += [
        "",
        "## Match rate by method and province (% of person records)",
        "",
        "| province | " + " | ".join(methods) + " |",
        "|---" * (len(methods) + 1) + "|",
    ]
    for prov, counts in sorted(per.items()):
        total = sum(counts.values())
        name = report["provinsi"].get(prov, "")
        shares = " | ".join(f"{100 * counts.get(m, 0) / total:.1f}" for m in methods)
        lines.append(f"| {prov} {name} | {shares} |")
    lines += link_rates_markdown(report)
    lines += ["", "## Decile distribution", "", "| desil | families | persons |", "|---|---|---|"]
    lines += [f"| {d if d is not None else 'none'} | {f:,} | {p:,} |" for d, f, p in report["desil"]]
    if report["stabilitas"]:
        lines += ["", f"## Decile changes since snapshot {report['stabilitas']['terhadap']}", ""]
        lines += ["| province | | " + " | ".join(STABILITY.values()) + " |", "|---" * (len(STABILITY) + 2) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in stability_rows(report["stabilitas"], report["provinsi"])]
    return "\n".join(lines)


def partition_rows(report: dict) -> list[tuple[str, int, int]]:
    """(partition, regencies, registry persons), the largest first: a straggler shows on top."""
    rows = [(p["partisi"], p["kabupaten"], p["orang"]) for p in report["partisi"]]
    return sorted(rows, key=lambda r: (-r[2], r[0]))


def partition_line(report: dict) -> str:
    parts = len(report["partisi"])
    buckets = report["ember_nik"]
    return f"{parts} partition{'s' if parts != 1 else ''}" + (
        f", {buckets} NIK bucket{'s' if buckets != 1 else ''}" if buckets else ""
    )


def _md_rate(g: dict | None) -> str:
    return "" if g is None else f"{100 * g['laju']:.1f}% ({g['padan']:,}/{g['catatan']:,})"


def link_rates_markdown(report: dict) -> list[str]:
    """Link rate per source by decile, by age band, and the provinces with the lowest rate."""
    laju = report.get("laju_padan")
    if not laju:
        return []
    sources = link_sources(laju)
    lines = []
    for key, label in LAJU_RINCIAN:
        lines += [
            "",
            f"## Link rate by {label} (% of person records linked, linked/records)",
            "",
            f"| {label} | " + " | ".join(sources) + " |",
            "|---" * (len(sources) + 1) + "|",
            "| all | " + " | ".join(_md_rate(t) for t in sources.values()) + " |",
        ]
        for group in link_groups(laju, key):
            lines.append(f"| {group} | " + " | ".join(_md_rate(laju[key][s].get(group)) for s in sources) + " |")
    provinces = province_link_rates(laju)
    lowest = provinces[:PROVINSI_TERENDAH]
    lines += [
        "",
        f"## Lowest link rates by province ({len(lowest)} of {len(provinces)})",
        "",
        "| province | all sources | " + " | ".join(sources) + " |",
        "|---" * (len(sources) + 2) + "|",
    ]
    for prov, total, by_source in lowest:
        name = report["provinsi"].get(prov, "")
        cells = " | ".join(_md_rate(by_source.get(s)) for s in sources)
        lines.append(f"| {f'{prov} {name}'.strip()} | {_md_rate(total)} | {cells} |")
    return lines


def table(report: dict) -> list[dict]:
    """The decile distribution and stage times as one table artifact, one row per item.
    Every row has the same keys: Prefect takes the table's columns from the first row."""
    rows = [
        {"bagian": "desil", "nama": str(d), "keluarga": f, "orang": p, "detik": None, "catatan": None}
        for d, f, p in report["desil"]
    ]
    rows += [
        {
            "bagian": "detik",
            "nama": k,
            "keluarga": None,
            "orang": None,
            "detik": v,
            "catatan": "reused" if k in report["dipakai_ulang"] else None,
        }
        for k, v in report["detik"].items()
    ]
    return rows


# -- plots -------------------------------------------------------------------------------


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _rupiah(v: float, _=None) -> str:
    if v >= 1e6:
        return f"Rp {v / 1e6:.3g} jt"
    if v >= 1e3:
        return f"Rp {v / 1e3:.3g} rb"
    return f"Rp {v:.0f}"


def plots(report: dict) -> list[tuple[str, str, str]]:
    """(title, what it shows, base64 PNG) per plot."""
    import matplotlib

    matplotlib.use("Agg")  # no screen: render to files only
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    out = []
    hist = report["histogram_skor"]
    if hist:
        fig, ax = plt.subplots(figsize=(10, 3.6))
        ax.stairs(hist["orang"], hist["batas"], fill=True, color="#9db8d9", edgecolor="#3b6ea5")
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
        ax.xaxis.set_major_formatter(FuncFormatter(_rupiah))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
        ax.set_xlabel("skor_kesejahteraan: predicted monthly spending per person (log scale)")
        ax.set_ylabel("persons")
        top = max(hist["orang"]) or 1
        bounds = report["skor_per_desil"]
        for (_, _, hi), nxt in itertools.pairwise(bounds):
            cut = math.sqrt(hi * nxt[1]) if nxt[1] else hi  # between the decile's top and the next one's bottom
            ax.axvline(cut, color="#b03a2e", lw=1, ls="--")
        centres = [math.sqrt(lo * hi) for _, lo, hi in bounds]
        for (d, _, _), x in zip(bounds, centres):
            ax.text(x, top * 1.04, str(d), ha="center", va="bottom", fontsize=8, color="#b03a2e")
        ax.set_ylim(0, top * 1.15)
        ax.set_xlim(hist["batas"][0], hist["batas"][-1])
        out.append(
            (
                "Welfare score distribution",
                "Persons by their family's welfare score; dashed lines are the national decile cut-offs "
                "(numbers: desil 1 = poorest 10% of persons).",
                _png(fig),
            )
        )
        plt.close(fig)
    methods, per = _methods(report)
    if per:
        provinces = sorted(per)
        names = [f"{p} {report['provinsi'].get(p, '')}".strip() for p in provinces]
        fig, ax = plt.subplots(figsize=(10, 0.24 * len(provinces) + 1.2))
        colours = {"NIK_REPAIRED": "#e8a33d", "PROBABILISTIC": "#4c9a5b", "TIDAK_PADAN": "#c0392b"}
        left = [0.0] * len(provinces)
        others = [m for m in methods if m != "NIK_EXACT"]
        for m in others:
            share = [100 * per[p].get(m, 0) / sum(per[p].values()) for p in provinces]
            ax.barh(names, share, left=left, label=m, color=colours.get(m))
            left = [a + b for a, b in zip(left, share)]
        records = [sum(per[p].values()) for p in provinces]
        exact = [100 * per[p].get("NIK_EXACT", 0) / n for p, n in zip(provinces, records)]
        widest = max(left + [1.0])
        for y, (x, exact_share, n) in enumerate(zip(left, exact, records)):
            ax.text(x + widest * 0.01, y, f"{exact_share:.1f}% exact of {n:,}", va="center", fontsize=7.5, color="#555")
        ax.set_xlim(0, widest * 1.3)
        ax.set_ylim(len(provinces) - 0.5, -0.5)
        ax.tick_params(axis="y", labelsize=8.5)
        ax.set_xlabel("% of the province's person records not linked by an exact NIK")
        ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(others), frameon=False)
        ax.grid(axis="x", color="#ddd")
        ax.set_axisbelow(True)
        out.append(
            (
                "Match method by province",
                "Share of each province's source person records linked by a repaired NIK, by probabilistic "
                "matching, or not linked (sent to verification); the rest were exact NIK links.",
                _png(fig),
            )
        )
        plt.close(fig)
    laju = report.get("laju_padan")
    if laju and laju.get("per_desil"):
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
        lowest = 100.0
        colour = {source: f"C{i}" for i, source in enumerate(sorted(laju["per_desil"]))}  # one per source
        for ax, (key, label) in zip(axes, LAJU_RINCIAN):
            groups = link_groups(laju, key)
            labels = ["?" if g == TIDAK_DIKETAHUI else g for g in groups]
            for source, per in sorted(laju[key].items()):
                rates = [
                    100 * per[g]["laju"] if per.get(g, {}).get("catatan", 0) >= LAJU_MINIMUM_CATATAN else math.nan
                    for g in groups
                ]
                if all(math.isnan(r) for r in rates):
                    continue  # no group large enough: not drawn, not in the legend
                lowest = min([lowest, *(r for r in rates if not math.isnan(r))])
                ax.plot(labels, rates, marker="o", lw=1.5, label=source, color=colour.get(source))
            if TIDAK_DIKETAHUI in groups:
                ax.axvspan(len(groups) - 1.5, len(groups) - 0.5, color="#eee", zorder=0)
            ax.set_xlabel(label + ("  (? = tidak diketahui)" if TIDAK_DIKETAHUI in groups else ""))
            ax.grid(axis="y", color="#ddd")
            ax.set_axisbelow(True)
        axes[0].set_ylabel("% of person records linked")
        axes[0].set_ylim(max(0.0, lowest - 5), 100.5)
        axes[0].legend(fontsize=8, loc="lower center", bbox_to_anchor=(1.05, 1.0), ncols=4, frameon=False)
        out.append(
            (
                "Link rate by decile and age band",
                "Share of each source's person records linked to the civil registry, by the national decile "
                f"of the record's own KK (1 = poorest) and by age at the cut-off; '?' = not known. Groups of "
                f"fewer than {LAJU_MINIMUM_CATATAN} records are left out.",
                _png(fig),
            )
        )
        plt.close(fig)
    if report["detik"]:
        stages = list(report["detik"])
        values = [report["detik"][s] for s in stages]
        fig, ax = plt.subplots(figsize=(8, 0.32 * len(stages) + 1))
        reused = [s in report["dipakai_ulang"] for s in stages]
        ax.barh(stages, values, color=["#cccccc" if r else "#a5673b" for r in reused])
        for y, (v, r) in enumerate(zip(values, reused)):
            ax.text(v, y, " reused" if r else f" {v:.1f} s", va="center", fontsize=8, color="#777" if r else "#333")
        ax.set_xlim(0, max(values + [0.1]) * 1.2)
        ax.set_xlabel("seconds")
        ax.invert_yaxis()
        ax.set_title(f"total {total_seconds(report):.1f} s", fontsize=9, loc="right")
        out.append(
            (
                "Time per stage",
                "Wall time of each stage of the flow; a stage reused from an earlier attempt "
                "at the same delivery is marked.",
                _png(fig),
            )
        )
        plt.close(fig)
    return out


# -- HTML ----------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1080px; margin: 1.5rem auto;
       padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.sub { color: #555; margin-top: 0; }
.kop { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)) minmax(0, 1.8fr); gap: 0.8rem; margin: 1rem 0; }
@media (max-width: 800px) { .kop { grid-template-columns: 1fr 1fr; } }
.kotak { border: 1px solid #ddd; border-radius: 6px; padding: 0.6rem 0.8rem; background: #fafafa; }
.kotak .label { font-size: 0.75rem; text-transform: uppercase; color: #666; letter-spacing: 0.04em; }
.kotak .nilai { font-size: 1.5rem; font-weight: 600; margin: 0.1rem 0; }
.kotak .rinci { font-size: 0.85rem; color: #444; }
.LULUS { border-left: 6px solid #2e7d32; } .LULUS .nilai { color: #2e7d32; }
.PERINGATAN { border-left: 6px solid #e69500; } .PERINGATAN .nilai { color: #9a5b00; }
.GAGAL { border-left: 6px solid #c62828; } .GAGAL .nilai { color: #c62828; }
.cadangan { border-left: 6px solid #e69500; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem 0; font-size: 0.88rem; }
th, td { border: 1px solid #ddd; padding: 3px 10px; text-align: left; }
th { background: #f2f2f2; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.gagal { color: #c62828; font-weight: 600; } .peringatan { color: #9a5b00; font-weight: 600; }
.lulus { color: #2e7d32; } .muted { color: #888; } .rendah { color: #c62828; font-weight: 600; }
h3 { font-size: 1rem; margin: 1rem 0 0.2rem 0; }
img { max-width: 100%; } figure { margin: 0.5rem 0 1rem 0; } figcaption { font-size: 0.85rem; color: #555; }
"""


def _tr(cells: list, numeric: AbstractSet[int] = frozenset()) -> str:
    return (
        "<tr>"
        + "".join(f"<td class='n'>{c}</td>" if i in numeric else f"<td>{c}</td>" for i, c in enumerate(cells))
        + "</tr>"
    )


def _html_table(header: list[str], rows: list[list], numeric: AbstractSet[int] = frozenset()) -> str:
    return (
        "<table><thead><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in header)
        + "</tr></thead><tbody>"
        + "".join(_tr(r, numeric) for r in rows)
        + "</tbody></table>"
    )


def _status_cell(ok: bool, tingkat: str) -> str:
    if ok:
        return "<span class='lulus'>passed</span>"
    return "<span class='gagal'>FAILED</span>" if tingkat == "critical" else "<span class='peringatan'>warning</span>"


def headline_html(report: dict) -> str:
    e = html.escape
    status = report["status_mutu"]
    notes = [f"<li class='gagal'>failed: <code>{e(r)}</code></li>" for r in report["kritis_gagal"]]
    notes += [f"<li class='peringatan'>warning: <code>{e(r)}</code></li>" for r in report["peringatan"]]
    quality = (
        f"<div class='kotak {e(status)}' id='mutu'><div class='label'>Quality</div>"
        f"<div class='nilai'>{e(status)}</div><div class='rinci'>"
        + (f"<ul>{''.join(notes)}</ul>" if notes else "every expectation passed")
        + (f"<br><a href='{e(report['data_docs'])}'>quality results (Data Docs)</a>" if report["data_docs"] else "")
        + "</div></div>"
    )
    c = report["perubahan"]

    def counted(what: str, key: str) -> str:
        part = c[key] if c else None
        if report[key] is None:
            detail = "not counted: the run stopped before unifying"
        elif part:
            detail = e(change_line(part, what.lower()))
        elif report["pembanding_tidak_diketahui"]:
            detail = "previous snapshot unknown"
        else:
            detail = "first snapshot: nothing to compare with"
        return (
            f"<div class='kotak' id='{key}'><div class='label'>{what}</div>"
            f"<div class='nilai'>{'—' if report[key] is None else f'{report[key]:,}'}</div>"
            f"<div class='rinci'>{detail}</div></div>"
        )

    vs = f"compared with snapshot <b>{e(c['tag'])}</b>" if c else e(comparison(report))
    m = report["model"]
    if m is None:
        how = e(model_line(report))
    else:
        how = {
            "cadangan": f"<b class='peringatan'>fallback</b>: the stored model, not fitted on this delivery "
            f"({e(m['cara'])})",
            "dipakai_ulang": f"reused model file ({e(m['cara'])})",
            "dilatih": "fitted on this delivery's survey sample",
        }[m["jenis"]]
        if m["r2"] is not None and m["n"] is not None:
            how += f"<br>its fit: R² {m['r2']:.3f}, n {m['n']:,}"
        how += f"<br>{e(targeting_sentence(m))}"
        if report["stabilitas"]:
            how += f"<br>{e(stability_line(report['stabilitas']))}"
    model = (
        f"<div class='kotak {'cadangan' if m and m['cadangan'] else ''}' id='model'>"
        f"<div class='label'>Welfare model</div>"
        f"<div class='nilai' style='font-size:1.05rem'>{e(m['id']) if m else '—'}</div>"
        f"<div class='rinci'>{how}"
        + (f"<br>matching: {e(matching_model_line(report))}" if report["model_padan"] else "")
        + "</div></div>"
    )
    reused = report["dipakai_ulang"]
    shown = [s for s in report["detik"] if s in reused]
    time = f"{total_seconds(report):.1f} s" + (
        f" ({len(shown)} of {len(report['detik'])} stages reused)" if shown else ""
    )
    snapshot = (
        f"snapshot <b>{e(report['snapshot'])}</b>"
        + (" published" if report["snapshot_baru"] else " (this delivery was already published)")
        if report["snapshot"]
        else "<b class='gagal'>not published</b>"
    )
    return (
        f"<h1>DTSEN run {e(report['run_id'])}</h1>"
        f"<p class='sub'>cut-off <b>{e(report['cutoff'])}</b> · {snapshot} · {vs} · time {e(time)}</p>"
        f"<div class='kop'>{quality}{counted('Families', 'keluarga')}{counted('Persons', 'individu')}"
        f"{model}</div>"
    )


def body_html(report: dict) -> str:
    e = html.escape
    figures = {t: (caption, png) for t, caption, png in plots(report)}

    def figure(title: str) -> str:
        if title not in figures:
            return ""
        caption, png = figures[title]
        return (
            f"<figure><img alt='{e(title)}' src='data:image/png;base64,{png}'/>"
            f"<figcaption>{e(caption)}</figcaption></figure>"
        )

    parts = [
        "<h2>Rows per stage</h2>",
        _html_table(["stage", "rows"], [[e(k), f"{v:,}"] for k, v in report["tahap"].items()], {1}),
    ]
    if report["ekstrak"]:
        parts += [
            "<h2>Extracts</h2>",
            _html_table(
                ["extract", "files", "read", "kept", "quarantined", "flagged", "reconciled"],
                [
                    [
                        e(name),
                        _count(r["berkas"]),
                        f"{r['dibaca']:,}",
                        f"{r['diterima']:,}",
                        f"{r['dikarantina']:,}",
                        f"{sum((r.get('cacat_per_aturan') or {}).values()):,}",
                        "yes" if r["seimbang"] else "<span class='gagal'>NO</span>",
                    ]
                    for name, r in sorted(report["ekstrak"].items())
                ],
                {1, 2, 3, 4, 5},
            ),
        ]
    parts += [
        "<h2>Quarantine by rule</h2>",
        _html_table(
            ["rule", "rows"],
            [[f"<code>{e(k)}</code>", f"{v:,}"] for k, v in report["karantina_per_aturan"].items()]
            or [["(none)", "0"]],
            {1},
        ),
    ]
    persons = sum(p for d, _, p in report["desil"] if d is not None) or 1
    ranges = {d: (lo, hi) for d, lo, hi in report["skor_per_desil"]}
    parts += [
        "<h2>Welfare ranking</h2>",
        figure("Welfare score distribution"),
        _html_table(
            ["desil", "families", "persons", "% of persons", "score from", "score to"],
            [
                [
                    e(str(d)) if d is not None else "<span class='gagal'>none</span>",
                    f"{f:,}",
                    f"{p:,}",
                    f"{100 * p / persons:.1f}" if d is not None else "",
                    _rupiah(ranges[d][0]) if d in ranges else "",
                    _rupiah(ranges[d][1]) if d in ranges else "",
                ]
                for d, f, p in report["desil"]
            ],
            {1, 2, 3, 4, 5},
        ),
    ]
    if report["stabilitas"]:
        parts += [
            f"<h3>Decile changes since snapshot {e(report['stabilitas']['terhadap'])}</h3>",
            "<p>Each family in both snapshots with another decile, by the first change that moves it under "
            "the previous cut-offs: its own inputs, then the model, else the cut-offs moved.</p>",
            _html_table(
                ["kode", "province", *STABILITY.values()],
                [[e(c) for c in row] for row in stability_rows(report["stabilitas"], report["provinsi"])],
                set(range(2, len(STABILITY) + 2)),
            ),
        ]
    methods, per = _methods(report)
    by_source = report["padan_per_sumber"]
    if by_source:
        rows = []
        for source, counts in sorted(by_source.items()):
            total = sum(counts.values()) or 1
            rows.append([e(source), f"{total:,}"] + [f"{100 * counts.get(m, 0) / total:.1f}" for m in methods])
        parts += [
            "<h2>Matching</h2>",
            "<p>% of each source's person records, by how they were linked to the civil registry.</p>",
            _html_table(["source", "records", *methods], rows, set(range(1, len(methods) + 2))),
        ]
    if per:
        parts += [figure("Match method by province")]
        rows = []
        for prov, counts in sorted(per.items()):
            total = sum(counts.values())
            rows.append(
                [e(prov), e(report["provinsi"].get(prov, "")), f"{total:,}"]
                + [f"{100 * counts.get(m, 0) / total:.1f}" for m in methods]
            )
        parts += [
            "<details><summary>Match rate by method and province (table)</summary>",
            _html_table(["kode", "province", "records", *methods], rows, set(range(2, len(methods) + 3))),
            "</details>",
        ]
    parts += link_rates_html(report, figure)
    if report["aturan_mutu"]:
        header = ["suite", "rule", "severity", "rows checked", "rows failed", "status"]

        def rule_rows(rules: list[dict]) -> list[list]:
            return [
                [
                    e(r["rangkaian"]),
                    f"<code>{e(r['aturan'])}</code>",
                    e(r["tingkat"]),
                    f"{r['diperiksa']:,}",
                    f"{r['gagal']:,}",
                    _status_cell(r["sukses"], r["tingkat"]),
                ]
                for r in rules
            ]

        failed = [r for r in report["aturan_mutu"] if not r["sukses"]]
        suites = len({r["rangkaian"] for r in report["aturan_mutu"]})
        docs = f" Every result: <a href='{e(report['data_docs'])}'>Data Docs</a>." if report["data_docs"] else ""
        parts += [
            "<h2>Quality rules</h2>",
            f"<p>{len(report['aturan_mutu'])} rules in {suites} suites; "
            + (
                f"{len(failed)} did not pass.{docs}</p>" + _html_table(header, rule_rows(failed), {3, 4})
                if failed
                else f"all passed.{docs}</p>"
            ),
            "<details><summary>Every rule</summary>",
            _html_table(header, rule_rows(report["aturan_mutu"]), {3, 4}),
            "</details>",
        ]
    if report["partisi"]:
        parts += [
            "<h2>Partitions</h2>",
            f"<p>The heavy stages ran by partition: {e(partition_line(report))} (docs/partisi.md).</p>",
            _html_table(
                ["partition", "regencies", "registry persons"],
                [[f"<code>{e(p)}</code>", f"{k:,}", f"{n:,}"] for p, k, n in partition_rows(report)],
                {1, 2},
            ),
        ]
    if report["detik"]:
        parts += [
            "<h2>Time per stage</h2>",
            figure("Time per stage"),
            _html_table(
                ["stage", "seconds"],
                [[e(k), seconds_shown(report, k)] for k in report["detik"]]
                + [["<b>total</b>", f"<b>{total_seconds(report):.1f}</b>"]],
                {1},
            ),
        ]
    return "".join(parts)


def link_rates_html(report: dict, figure: Callable[[str], str]) -> list[str]:
    """Who fails to link: per source, the rate by decile and by age band, and the provinces
    with the lowest rate (every province in a fold-out)."""
    laju = report.get("laju_padan")
    if not laju:
        return []
    e = html.escape
    sources = link_sources(laju)

    def cell(g: dict | None, overall: dict) -> str:
        if g is None:
            return "<span class='muted'>—</span>"
        rate = f"{100 * g['laju']:.1f}%"
        return (
            f"<span class='rendah'>{rate}</span>" if low_rate(g, overall) else rate
        ) + f" <span class='muted'>{g['padan']:,}/{g['catatan']:,}</span>"

    numeric = set(range(1, len(sources) + 1))
    parts = [
        "<h2 id='laju-padan'>Who fails to link</h2>",
        "<p>% of each source's person records linked to the civil registry (any method but "
        "<code>TIDAK_PADAN</code>), with linked/records. Age band: whole years at the cut-off from the record's "
        "birth date. Desil: the national decile of the ranked family whose KK number is the record's own, "
        "for linked and unlinked records alike. <code>tidak diketahui</code>: no birth date, or a KK that is no "
        f"ranked family. <span class='rendah'>Red</span>: {100 * LAJU_RENDAH:.0f} points or more below the "
        f"source's overall rate, in a group of {LAJU_MINIMUM_CATATAN} records or more.</p>",
        figure("Link rate by decile and age band"),
    ]
    for key, label in LAJU_RINCIAN:
        rows = [["<b>all</b>", *(cell(t, t) for t in sources.values())]]
        rows += [
            [e(group), *(cell(laju[key][s].get(group), sources[s]) for s in sources)]
            for group in link_groups(laju, key)
        ]
        parts += [f"<h3>By {e(label)}</h3>", _html_table([label, *sources], rows, numeric)]

    everyone = link_total(sources)
    provinces = province_link_rates(laju)

    def province_rows(chosen: list) -> list[list]:
        return [
            [
                e(prov),
                e(report["provinsi"].get(prov, "")),
                cell(total, everyone),
                *(cell(by_source.get(s), sources[s]) for s in sources),
            ]
            for prov, total, by_source in chosen
        ]

    header = ["kode", "province", "all sources", *sources]
    numeric = set(range(2, len(sources) + 3))
    parts += [
        f"<h3>Provinces with the lowest rate ({min(PROVINSI_TERENDAH, len(provinces))} of {len(provinces)})</h3>",
        _html_table(header, province_rows(provinces[:PROVINSI_TERENDAH]), numeric),
        "<details><summary>Link rate of every province (table)</summary>",
        _html_table(header, province_rows(sorted(provinces, key=lambda r: (r[0] == TIDAK_DIKETAHUI, r[0]))), numeric),
        "</details>",
    ]
    return parts


def write_html(report: dict, path: Path) -> Path:
    """A self-contained HTML report (plots embedded, no scripts, nothing loaded from the
    network) beside the run's manifest."""
    text = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>DTSEN run {html.escape(report['run_id'])}"
        f"</title><style>{CSS}</style></head><body>{headline_html(report)}{body_html(report)}</body></html>"
    )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def publish_artifacts(report: dict) -> None:
    """The Prefect markdown and table artifacts of the current flow run."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    key = "dtsen-" + report["run_id"].lower().replace("_", "-")
    create_markdown_artifact(markdown(report), key=key, description=f"DTSEN run {report['run_id']}")
    create_table_artifact(table(report), key=f"{key}-tabel", description="deciles and stage times")
