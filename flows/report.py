"""The run report: what an operator reads after a refresh. Counts and rates only, never
personal data: rows per stage, quarantine by rule, match rates by method and province,
the decile distribution, the quality status, the time per stage.

Three forms of one content: a Prefect markdown artifact and a table artifact (in the UI,
beside the flow run), and a self-contained HTML file with plots saved with the run
(`runs/<id>/laporan.html`, linked from `dtsen snapshots`).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import duckdb


def gather(run_dir: Path, manifest: dict) -> dict:
    """The report's content from the run's manifest and its (aggregated) outputs."""
    run_dir = Path(run_dir)
    con = duckdb.connect()
    matched = run_dir / "matched" / "tautan_sumber.parquet"
    ranked = run_dir / "ranked" / "keluarga.parquet"
    match_rates = con.execute(
        "SELECT kode_prov, metode_padan, count(*) FROM read_parquet($f) GROUP BY ALL ORDER BY ALL",
        {"f": str(matched)}).fetchall() if matched.exists() else []
    deciles = con.execute(
        "SELECT desil_nasional, count(*), sum(jumlah_anggota) FROM read_parquet($f) GROUP BY 1 ORDER BY 1",
        {"f": str(ranked)}).fetchall() if ranked.exists() else []
    quarantine: dict[str, int] = {}
    for extract in manifest.get("rekonsiliasi", {}).values():
        for rule, n in extract["karantina_per_aturan"].items():
            quarantine[rule] = quarantine.get(rule, 0) + n
    mutu = manifest.get("mutu", {})
    for suite in mutu.get("rangkaian", {}).values():
        for rule, r in suite["per_aturan"].items():
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
    return {
        "run_id": manifest["run_id"], "cutoff": manifest["cutoff"],
        "status_mutu": mutu.get("status", "BELUM_DIPERIKSA"), "peringatan": mutu.get("peringatan", []),
        "kritis_gagal": mutu.get("kritis_gagal", []),
        "tahap": {k: v for k, v in stages.items() if v is not None},
        "detik": manifest.get("seconds", {}),
        "karantina_per_aturan": dict(sorted(quarantine.items(), key=lambda kv: -kv[1])),
        "padan_per_provinsi": match_rates,
        "desil": deciles,
        "snapshot": manifest.get("terbit", {}).get("tag"),
    }


def _methods(report: dict) -> tuple[list[str], dict[str, dict[str, int]]]:
    methods = sorted({m for _, m, _ in report["padan_per_provinsi"]})
    per: dict[str, dict[str, int]] = {}
    for prov, method, n in report["padan_per_provinsi"]:
        per.setdefault(prov or "?", {})[method] = n
    return methods, per


def markdown(report: dict) -> str:
    lines = [f"# DTSEN run {report['run_id']} (cut-off {report['cutoff']})", "",
             f"**Quality: {report['status_mutu']}**" + (f"; failed: {', '.join(report['kritis_gagal'])}"
                                                         if report["kritis_gagal"] else "")
             + (f"; warnings: {', '.join(report['peringatan'])}" if report["peringatan"] else ""),
             f"Snapshot: {report['snapshot'] or 'not published'}", "", "## Rows per stage", "",
             "| stage | rows |", "|---|---|"]
    lines += [f"| {k} | {v:,} |" for k, v in report["tahap"].items()]
    lines += ["", "## Time per stage (s)", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in report["detik"].items()]
    lines += ["", "## Quarantine by rule", "", "| rule | rows |", "|---|---|"]
    lines += [f"| {k} | {v:,} |" for k, v in report["karantina_per_aturan"].items()] or ["| (none) | 0 |"]
    methods, per = _methods(report)
    lines += ["", "## Match rate by method and province (% of person records)", "",
              "| province | " + " | ".join(methods) + " |", "|---" * (len(methods) + 1) + "|"]
    for prov, counts in sorted(per.items()):
        total = sum(counts.values())
        lines.append(f"| {prov} | " + " | ".join(f"{100 * counts.get(m, 0) / total:.1f}" for m in methods) + " |")
    lines += ["", "## Decile distribution", "", "| desil | families | persons |", "|---|---|---|"]
    lines += [f"| {d if d is not None else 'none'} | {f:,} | {p:,} |" for d, f, p in report["desil"]]
    return "\n".join(lines)


def table(report: dict) -> list[dict]:
    """The decile distribution and stage times as one table artifact (one row per item)."""
    rows = [{"bagian": "desil", "nama": str(d), "keluarga": f, "orang": p} for d, f, p in report["desil"]]
    rows += [{"bagian": "detik", "nama": k, "keluarga": None, "orang": None, "nilai": v}
             for k, v in report["detik"].items()]
    return rows


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def plots(report: dict) -> list[tuple[str, str]]:
    """(title, base64 PNG) per plot."""
    import matplotlib

    matplotlib.use("Agg")  # no screen: render to files only
    import matplotlib.pyplot as plt

    out = []
    ranked = [(d, p) for d, _, p in report["desil"] if d is not None]  # a failed run may leave some out
    if ranked:
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.bar([d for d, _ in ranked], [p for _, p in ranked], color="#3b6ea5")
        ax.set_xlabel("desil_nasional")
        ax.set_ylabel("persons")
        ax.set_xticks(range(1, 11))
        out.append(("Persons per national decile", _png(fig)))
        plt.close(fig)
    methods, per = _methods(report)
    if per:
        fig, ax = plt.subplots(figsize=(9, 3.5))
        provinces = sorted(per)
        bottom = [0.0] * len(provinces)
        for m in methods:
            share = [100 * per[p].get(m, 0) / sum(per[p].values()) for p in provinces]
            ax.bar(provinces, share, bottom=bottom, label=m)
            bottom = [b + s for b, s in zip(bottom, share)]
        # Exact NIK links dominate: start the axis just below their smallest share, so the
        # repaired, probabilistic and unmatched parts stay visible.
        first = [100 * per[p].get(methods[0], 0) / sum(per[p].values()) for p in provinces]
        ax.set_ylim(max(0.0, min(first) - 5), 100)
        ax.set_ylabel("% of person records")
        ax.tick_params(axis="x", labelrotation=90, labelsize=7)
        ax.legend(fontsize=7, ncols=len(methods))
        out.append(("Match method by province", _png(fig)))
        plt.close(fig)
    if report["detik"]:
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.barh(list(report["detik"]), list(report["detik"].values()), color="#a5673b")
        ax.set_xlabel("seconds")
        ax.invert_yaxis()
        out.append(("Time per stage", _png(fig)))
        plt.close(fig)
    return out


def write_html(report: dict, path: Path) -> Path:
    """A self-contained HTML report (plots embedded) beside the run's manifest."""
    body = "".join(f"<h2>{html.escape(t)}</h2><img src='data:image/png;base64,{png}'/>" for t, png in plots(report))
    text = html.escape(markdown(report))
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>DTSEN run {html.escape(report['run_id'])}"
                    f"</title></head><body style='font-family:sans-serif;max-width:960px'>{body}"
                    f"<h2>Details</h2><pre>{text}</pre></body></html>")
    return path


def publish_artifacts(report: dict) -> None:
    """The Prefect markdown and table artifacts of the current flow run."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    key = "dtsen-" + report["run_id"].lower().replace("_", "-")
    create_markdown_artifact(markdown(report), key=key, description=f"DTSEN run {report['run_id']}")
    create_table_artifact(table(report), key=f"{key}-tabel", description="deciles and stage times")
