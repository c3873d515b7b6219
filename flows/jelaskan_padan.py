"""`dtsen explain --sumber S --id ID` on the console: one source record's link explained.

Values are masked (NIK to its region, names to initials, dates to their shape) unless the
operator asked for the full view.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from dtsen.privacy import mask_date, mask_name, mask_nik


class _Mask:
    def __init__(self, full: bool) -> None:
        self.full = full

    def nik(self, v) -> str:
        return "-" if v is None else (str(v) if self.full else str(mask_nik(str(v))))

    def name(self, v) -> str:
        return "-" if v is None else (str(v) if self.full else str(mask_name(str(v))))

    def date(self, v) -> str:
        return "-" if v is None else (str(v) if self.full else str(mask_date(str(v))))


def _weight(w: float) -> str:
    return f"{w:+.2f}"


def show(console: Console, found: dict, full: bool) -> None:
    m = _Mask(full)
    rec, result = found["catatan"], found["hasil"]
    console.print(
        f"record {rec['sumber']} {rec['id_sumber']}: NIK {m.nik(rec['nik'])}, name {m.name(rec['nama'])}, "
        f"born {m.date(rec['tgl_lahir'])}, sex {rec['jenis_kelamin'] or '-'}, village {rec['kode_desa'] or '-'}, "
        f"KK {m.nik(rec['no_kk'])}",
        soft_wrap=True,
    )
    decided = result.get("metode_padan", "?")
    if decided == "TIDAK_PADAN":
        console.print(f"decision: not linked, to verification as {result.get('alasan', '?')}")
    else:
        console.print(
            f"decision: {decided} to {m.nik(result.get('nik'))} (probabilitas {result.get('probabilitas', 0):.6f})"
        )
    _nik_step(console, found["nik_exact"], m)
    _repair_step(console, found["nik_repair"], m)
    _probabilistic_step(console, found["probabilistik"], found["nik_exact"], m)
    if not full:
        console.print("values masked; --akses penuh shows them (and is recorded in the audit log)")


def _nik_step(console: Console, step: dict | None, m: _Mask) -> None:
    if step is None:
        console.print("NIK_EXACT: the record's NIK is no registry NIK (or it has none)")
        return
    h = step["pemegang"]
    table = Table(
        title=f"NIK_EXACT: the holder of the record's NIK, {m.nik(step['nik'])} ({m.name(h['nama'])}, "
        f"born {m.date(h['tgl_lahir'])}, village {h['kode_desa']})"
    )
    for col in ("evidence", "level", "points"):
        table.add_column(col, justify="right" if col == "points" else "left")
    for b in step["bukti"]:
        table.add_row(b["bukti"], b["tingkat"], f"{b['poin']:+d}")
    verdict = "linked" if step["diterima"] else f"not linked: {step['alasan']}"
    table.add_row("= score", f"threshold {step['ambang']}", f"{step['skor']:+d}")
    console.print(table)
    console.print(f"  {verdict} (probabilitas {step['probabilitas']:.6f})")
    if step["anggota_keluarga"]:
        fam = Table(title="others in the holder's family the decision weighed (their birth date fits the record)")
        for col in ("NIK", "name", "born", "name level", "fit (points, NIK aside)"):
            fam.add_column(col)
        for a in step["anggota_keluarga"]:
            cells = (m.nik(a["nik"]), m.name(a["nama"]), m.date(a["tgl_lahir"]), a["nama_tingkat"], f"{a['cocok']:+d}")
            fam.add_row(*cells)
        console.print(fam)


def _repair_step(console: Console, candidates: list[dict], m: _Mask) -> None:
    if not candidates:
        return
    table = Table(title="NIK_REPAIRED: registry persons one edit from the record's NIK whose name and birth date fit")
    for col in ("NIK", "name", "born"):
        table.add_column(col)
    for c in candidates:
        table.add_row(m.nik(c["nik"]), m.name(c["nama"]), m.date(c["tgl_lahir"]))
    console.print(table)
    if len(candidates) > 1:
        console.print("  more than one fits: no repair")


def _probabilistic_step(console: Console, step: dict | None, nik_step: dict | None, m: _Mask) -> None:
    if step is None:
        console.print("PROBABILISTIC: not reached (linked earlier, a ghost NIK, or no name)")
        return
    if step.get("model_lain"):
        console.print(
            "PROBABILISTIC: this run's model (matched/model_splink.json) was made by another version of the "
            "matching code; its weights cannot be recomputed with this one (see the manifest's code_version)"
        )
        return
    if not step["calon"]:
        console.print("PROBABILISTIC: no registry person in the record's blocks")
        return
    refused = nik_step["nik"] if nik_step and not nik_step["diterima"] else None
    table = Table(title="PROBABILISTIC: the best candidates, Splink's match weights (log2 Bayes factors)")
    table.add_column("comparison")
    for i, c in enumerate(step["calon"], 1):
        mark = " (refused by NIK_EXACT)" if c["nik"] == refused else ""
        table.add_column(
            f"{i}: {m.nik(c['nik'])}{mark}\n{m.name(c['nama'])}, {m.date(c['tgl_lahir'])}", justify="right"
        )
    table.add_row("prior", *[_weight(step["bobot_awal"])] * len(step["calon"]))
    for k, s in enumerate(step["calon"][0]["langkah"]):
        table.add_row(
            s["perbandingan"],
            *[f"{c['langkah'][k]['tingkat']} {_weight(c['langkah'][k]['bobot'])}" for c in step["calon"]],
        )
    table.add_row("= match weight", *[_weight(c["bobot"]) for c in step["calon"]])
    table.add_row(f"probability (link at >= {step['ambang']})", *[f"{c['probabilitas']:.6f}" for c in step["calon"]])
    console.print(table)
    if refused:
        console.print("  the holder of the record's own NIK, refused by NIK_EXACT, is no candidate of this step")
