"""The `dtsen` command line. Heavy imports (Prefect, the generator) happen inside commands,
so `dtsen --help` is instant."""

from __future__ import annotations

import datetime as dt
import errno
import json
from functools import wraps
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

import flows  # noqa: F401  (PREFECT_HOME before Prefect)
from flows import preflight
from flows.rapikan import rapikan

console = Console()
err = Console(stderr=True)


def _fail(what: str, e: Exception | str, code: int = 2) -> NoReturn:
    """One line on stderr, no traceback: the message names the file or value and what to do.
    Plain text, not Rich markup: a path or a value may hold brackets."""
    err.print(Text.assemble((f"{what}: ", "bold red"), str(e)), soft_wrap=True)
    raise typer.Exit(code)


def _user_errors() -> tuple[type[Exception], ...]:
    """What an operator can fix: a bad argument, file or delivery, an unknown snapshot, a
    refused read. Anything else is a bug and keeps its traceback."""
    from pydantic import ValidationError

    from transforms.errors import DeliveryError, InputError
    from transforms.match.akurasi import TruthMismatch
    from warehouse.access import AccessError
    from warehouse.kredensial import CredentialError
    from warehouse.kunci import LockError
    from warehouse.publish import KeyChanged
    from warehouse.registry import SnapshotNotFound

    return (
        DeliveryError,
        InputError,
        TruthMismatch,
        AccessError,
        SnapshotNotFound,
        LockError,
        ValidationError,
        CredentialError,
        KeyChanged,
    )


def _one_line(e: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(e, ValidationError):  # a setting: name it and say what was wrong, not a dump
        first = e.errors()[0]
        where = ".".join(map(str, first["loc"])) or e.title
        if e.title == "Settings":  # read from the environment: name the variable
            where = f"DTSEN_{where.upper()}"
        return f"{where}: {first['msg'].removeprefix('Value error, ')}"
    return str(e)


def _refusing_user_errors(command):
    """A command that ends a user error in one line on stderr and exit 2."""

    @wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except _user_errors() as e:
            _fail(command.__name__, _one_line(e))
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
            _fail(command.__name__, f"no space left on the disk of {e.filename or 'DTSEN_HOME'}; free space, run again")

    return run


class _Commands(typer.Typer):
    """Every command refuses a user error the same way, whoever calls it (the `dtsen`
    script, a test's CliRunner)."""

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)
        return lambda fn: register(_refusing_user_errors(fn))


app = _Commands(
    help="DTSEN: the national social-economic register pipeline.", no_args_is_help=True, pretty_exceptions_enable=False
)


def _tracebacks_only_for_bugs() -> None:
    """Prefect prints a failed task's exception with its traceback on the console. For a user
    error (a broken file, a quality gate) the message says what to fix, and the traceback
    only buries it; Prefect's own log of the run keeps it."""
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    from expectations import QualityError
    from transforms.errors import EngineError

    user_errors = (*_user_errors(), QualityError, EngineError)

    def message_only(record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], user_errors):
            record.exc_info, record.exc_text = None, None
        return True

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler):
            handler.addFilter(message_only)


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="root folder; the delivery goes to OUT/<cutoff>/")],
    persons: Annotated[int, typer.Option(min=100, help="registry persons")] = 100_000,
    seed: Annotated[int, typer.Option()] = 1,
    cutoff: Annotated[str, typer.Option(help="cut-off date YYYY-MM-DD")] = "2026-11-17",
    regions: Annotated[
        str | None,
        typer.Option(
            help="'kemendagri' for the official 2025 list the project carries (83,762 villages), or a kode,nama "
            "CSV in that format; default: synthetic regions"
        ),
    ] = None,
    error_scale: Annotated[float, typer.Option(help="multiply every error rate (2 = the hard setting)")] = 1.0,
    # No default here: importing the generator to read it would slow every command by 2 s.
    welfare_r2: Annotated[
        float | None, typer.Option(help="R² of the ideal welfare model [default: synthetic.config.WELFARE_R2, 0.8]")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="replace an existing delivery of that cut-off")] = False,
    months: Annotated[
        int | None, typer.Option(min=1, help="a series: N monthly deliveries of one population, from --cutoff on")
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(help="the month after this delivery of a series (its settings come from its truth/metadata.json)"),
    ] = None,
) -> None:
    """Generate a synthetic delivery with ground truth, in the shapes of docs/contract.md; or a
    monthly series of one population (--months), or a series' next month (--previous)."""
    if previous is not None:
        return _synth_next(previous, out, cutoff, overwrite)
    from dtsen.referensi import region_list

    region_file = region_list(regions)
    if region_file is not None and not region_file.is_file():
        _fail(
            "synth",
            f"--regions {regions}: no such file; pass 'kemendagri' for the official 2025 list, or a kode,nama CSV",
        )
    try:
        cut = dt.date.fromisoformat(cutoff)
    except ValueError:
        _fail("synth", f"--cutoff {cutoff!r}: write the date as YYYY-MM-DD")
    from synthetic import generate_delivery
    from synthetic.config import WELFARE_R2

    welfare_r2 = WELFARE_R2 if welfare_r2 is None else welfare_r2
    try:
        with console.status("generating") as status:
            say = lambda step: status.update(f"generating: {step}")  # noqa: E731
            if months is not None:
                from synthetic.series import generate_series

                paths = generate_series(
                    out, persons, seed, cut, months, regions=region_file, error_scale=error_scale,
                    welfare_r2=welfare_r2, overwrite=overwrite, progress=say,
                )  # fmt: skip
            else:
                paths = [
                    generate_delivery(
                        out, persons, seed, cut, regions=region_file, error_scale=error_scale,
                        welfare_r2=welfare_r2, overwrite=overwrite, progress=say,
                    )
                ]  # fmt: skip
    except ValueError as e:  # an existing delivery, an impossible setting, a bad region list
        _fail("synth", _one_line(e))
    for path in paths:
        console.print(f"delivery written to [bold]{path}[/]")


def _synth_next(previous: Path, out: Path, cutoff: str, overwrite: bool) -> None:
    """`dtsen synth --previous DIR/<cutoff>`: the series' next month, its settings the series'."""
    from synthetic.series import generate_next

    try:
        # the default --cutoff is the single delivery's: only a date after the previous month is asked for
        cut = dt.date.fromisoformat(cutoff) if cutoff > previous.name else None
        with console.status("generating") as status:
            path = generate_next(previous, cut, out, lambda step: status.update(f"generating: {step}"), overwrite)
    except (ValueError, FileNotFoundError) as e:
        _fail("synth", _one_line(e))
    console.print(f"delivery written to [bold]{path}[/]")


@app.command()
def refresh(
    delivery: Annotated[Path, typer.Option(help="delivery folder <root>/<YYYY-MM-DD>")],
    sql: Annotated[
        list[str] | None,
        typer.Option(
            help="pull an extract from SQL: EXTRACT=DTSEN_SQL_<NAME>::TABLE, the setting holding the URL "
            "(EXTRACT=URL::TABLE for a URL without a password)"
        ),
    ] = None,
    model_pmt: Annotated[
        Path | None,
        typer.Option(help="reuse a fitted welfare model (a run's ranked/model_pmt.json) instead of fitting one"),
    ] = None,
) -> None:
    """Land, standardize, match, unify and rank one delivery as a Prefect flow; print the accounting."""
    from transforms.errors import DeliveryError, EngineError

    try:  # before Prefect starts (tens of seconds): the arguments are usable
        sources = preflight.sql_sources(sql or [])
        preflight.delivery(delivery, sources)
        preflight.model_pmt(model_pmt)
    except DeliveryError as e:
        _fail("refresh failed", f"{e}. Nothing was published.")

    from dtsen.settings import get_settings
    from warehouse.kunci import warehouse_lock

    # The warehouse before Prefect starts (tens of seconds): a run refused because another
    # holds it is told in a second; one that waits starts its Prefect after the other's.
    with warehouse_lock(get_settings(), f"`dtsen refresh --delivery {delivery.resolve()}`", on_wait=_waiting):
        from expectations import QualityError
        from flows.refresh import refresh as refresh_flow

        _tracebacks_only_for_bugs()
        try:
            manifest_path = Path(
                refresh_flow(
                    str(delivery.resolve()),
                    sql_sources=sql or [],
                    model_pmt=str(model_pmt.resolve()) if model_pmt else None,
                )
            )
        except DeliveryError as e:
            _fail("refresh failed", f"{e}. Nothing was published.")
        except QualityError as e:
            err.print(Text.assemble(("refresh stopped by the quality gate: ", "bold red"), str(e)), soft_wrap=True)
            _fail("Data Docs", str(e.docs), code=3)
        except EngineError as e:  # the data broke a stage: not the operator's to fix alone
            _fail("refresh failed", f"{e}. Nothing was published; report it with the run folder and Prefect's log", 1)
    print_summary(json.loads(manifest_path.read_text()), manifest_path)


def _waiting(message: str) -> None:
    err.print(message, soft_wrap=True, markup=False, highlight=False)


@app.command()
def backfill(
    root: Annotated[Path, typer.Option(help="folder holding the deliveries <root>/<YYYY-MM-DD>/")],
    start: Annotated[str, typer.Option(help="first cut-off date, YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="last cut-off date, YYYY-MM-DD")],
    force: Annotated[bool, typer.Option(help="refresh and publish again cut-offs already published")] = False,
) -> None:
    """Refresh every delivery with a cut-off from START to END (inclusive), oldest first, one child run each."""
    preflight.date_range(root, start, end)
    from flows.backfill import backfill as backfill_flow

    _tracebacks_only_for_bugs()
    try:
        outcome = backfill_flow(str(root), start, end, force)
    except RuntimeError as e:
        _fail("backfill", e)
    for cutoff, result in outcome.items():
        console.print(f"{cutoff}: {'already published, skipped' if result == 'dilewati' else result}", soft_wrap=True)


@app.command("accuracy")
def akurasi(
    run: Annotated[Path, typer.Option(help="run folder var/runs/<run_id>")],
    truth: Annotated[Path, typer.Option(help="the synthetic delivery's truth/ folder")],
) -> None:
    """Matching and ranking accuracy of a run against a synthetic delivery's ground truth; kept in its manifest."""
    from flows.manifest import write_manifest
    from transforms.match.akurasi import accuracy, check_truth

    manifest_path = run / "manifest.json"
    manifest = preflight.run_folder(run, needs=("matched/tautan_sumber.parquet",))
    check_truth(run / "matched" / "tautan_sumber.parquet", truth, manifest["cutoff"])
    report = accuracy(run / "matched" / "tautan_sumber.parquet", truth / "tautan.parquet")
    manifest["akurasi_padan"] = report
    ranked = run / "ranked" / "keluarga.parquet"
    if ranked.exists():
        from transforms.rank.akurasi import accuracy as ranking_accuracy

        manifest["akurasi_peringkat"] = ranking_accuracy(ranked, truth / "keluarga.parquet")
    write_manifest(run, manifest)
    table = Table(title=f"matching accuracy, run {manifest['run_id']}")
    for col in ("", "records", "links", "wrong", "precision", "recall", "F1"):
        table.add_column(col, justify="left" if not col else "right")
    rows = [("all", report["keseluruhan"])] + sorted(report["per_sumber"].items())
    for name, r in rows:
        table.add_row(
            name,
            f"{r['catatan']:,}",
            f"{r['tautan']:,}",
            f"{r['salah']:,}",
            f"{r['precision']:.5f}",
            f"{r['recall']:.5f}",
            f"{r['f1']:.5f}",
        )
    for name, r in sorted(report["per_metode"].items()):
        table.add_row(name, f"{r['catatan']:,}", f"{r['tautan']:,}", f"{r['salah']:,}", f"{r['precision']:.5f}", "", "")
    console.print(table)
    r = manifest.get("akurasi_peringkat")
    if r:
        console.print(
            f"ranking, {r['keluarga']:,} families: Spearman {r['spearman']:.3f}, bottom 40%: "
            f"exclusion error {r['exclusion_error_40']:.1%}, inclusion error {r['inclusion_error_40']:.1%}"
        )
    console.print(f"written to {manifest_path}", soft_wrap=True)


@app.command("explain")
def jelaskan(
    run: Annotated[Path, typer.Option(help="run folder var/runs/<run_id>")],
    no_kk: Annotated[str | None, typer.Option(help="a family card number: why it has its score and decile")] = None,
    sumber: Annotated[str | None, typer.Option(help="with --id: a source (DTKS, REGSOSEK, P3KE, USULAN)")] = None,
    id_sumber: Annotated[str | None, typer.Option("--id", help="the record's id in its source")] = None,
    akses: Annotated[
        str, typer.Option("--akses", help="analis: names, NIKs and dates masked; penuh: shown (audited)")
    ] = "analis",
) -> None:
    """Why a family has its decile (--no-kk), or why a source record was linked or not (--sumber --id)."""
    if (no_kk is None) == (sumber is None or id_sumber is None):
        _fail("jelaskan", "give --no-kk for a family, or --sumber and --id for a source record")
    if no_kk is not None:
        _explain_family(run, no_kk)
    else:
        assert sumber is not None and id_sumber is not None
        _explain_link(run, sumber.strip().upper(), id_sumber.strip(), _akses(akses))


def _explain_family(run: Path, no_kk: str) -> None:
    preflight.run_folder(run, needs=("ranked/keluarga.parquet", "ranked/model_pmt.json"))
    from transforms.rank import explain

    family = explain(run, no_kk.strip())
    if family is None:
        _fail("not ranked", f"no family with that KK in {run / 'ranked' / 'keluarga.parquet'}")
    console.print(
        f"desil_nasional {family['desil_nasional']}, skor_kesejahteraan Rp {family['skor_kesejahteraan']:,.0f} "
        f"per person per month ({family['jumlah_anggota']} members); rank {family['peringkat_provinsi']:,} "
        f"in the province, {family['peringkat_kabupaten']:,} in the regency; model {family['model']}"
    )
    table = Table(title="ln(skor) = konstanta + the groups' parts (log points)")
    table.add_column("part")
    table.add_column("log points", justify="right")
    table.add_row("konstanta", f"{family['konstanta']:+.4f}")
    for group, value in family["kontribusi"].items():
        table.add_row(group, f"{value:+.4f}")
    table.add_row("= ln(skor)", f"{family['skor_log']:.4f}")
    console.print(table)
    if family["masukan_hilang"]:
        console.print("missing inputs, scored at the survey mean: " + ", ".join(family["masukan_hilang"]))


def _explain_link(run: Path, sumber: str, id_sumber: str, akses) -> None:
    from dtsen.settings import get_settings
    from flows.jelaskan_padan import show
    from transforms.match.jelaskan import explain_link
    from warehouse import Akses
    from warehouse.audit import record

    manifest = preflight.run_folder(run, needs=("matched/tautan_sumber.parquet", "standardized"))
    found = explain_link(run, sumber, id_sumber)
    if found is None:
        _fail("jelaskan", f"no record {sumber} {id_sumber!r} in run {manifest['run_id']}")
    if akses is Akses.penuh:  # personal data on an operator's screen: who looked is kept
        record(get_settings(), "jelaskan", akses.value, None, run=manifest["run_id"], sumber=sumber)
    show(console, found, full=akses is Akses.penuh)


# ---------------------------------------------------------------------------- the warehouse

AksesOption = Annotated[
    str,
    typer.Option(
        "--akses",
        help="analis: the analyst tables (NIK, KK and source ids as tokens, no names or birth dates); "
        "penuh: the full tables. The operator's own view of the warehouse it runs: agencies read through "
        "`dtsen serve`, with a credential",
    ),
]


def _akses(value: str):
    from warehouse import Akses

    try:
        return Akses(value)
    except ValueError:
        _fail(f"--akses {value}", "use analis or penuh")


@app.command()
def publish(
    run: Annotated[Path, typer.Option(help="run folder var/runs/<run_id>")],
    force: Annotated[bool, typer.Option(help="publish again although this delivery is published")] = False,
) -> None:
    """Publish a finished run as a tagged snapshot (`dtsen refresh` does this itself)."""
    preflight.run_folder(run, needs=("ranked/keluarga.parquet",))
    from dtsen.settings import get_settings
    from warehouse import open_catalog
    from warehouse import publish as publish_run
    from warehouse.kunci import warehouse_lock

    settings = get_settings()
    with warehouse_lock(settings, f"`dtsen publish --run {run.resolve()}`", on_wait=_waiting):
        done = publish_run(open_catalog(settings), run, force=force)
    if done.created:
        console.print(f"published snapshot [bold]{done.snapshot.tag}[/] in {done.seconds:.1f} s")
    elif force:
        console.print(f"this run publishes the same rows as [bold]{done.snapshot.tag}[/]; no new version")
    else:
        console.print(f"this delivery is already published as [bold]{done.snapshot.tag}[/]; nothing new")
    _say_current(settings, done.snapshot)


def _say_current(settings, snapshot) -> None:
    """Whether a snapshot just published is the one readers get, and why not."""
    from warehouse import current, open_catalog
    from warehouse.current import why_not_current

    now = current(open_catalog(settings), settings.peringatan_diterima)
    if now is not None and now.tag == snapshot.tag:
        console.print(f"[bold]{snapshot.tag}[/] is current")
        return
    why = why_not_current(snapshot, settings.peringatan_diterima)
    reason = why or ("a later cut-off is current" if now and now.cutoff > snapshot.cutoff else "a snapshot is pinned")
    console.print(f"[bold]{snapshot.tag}[/] is not current ({reason}); current: {now.tag if now else 'none'}")


@app.command()
def snapshots() -> None:
    """The published snapshots: tag, time, counts, quality; the current one marked, and why."""
    from dtsen.settings import get_settings
    from flows.report import targeting_line
    from warehouse import open_catalog
    from warehouse import snapshots as published
    from warehouse.current import PINNED, choice, why_not_current

    settings = get_settings()
    catalog = open_catalog(settings)
    chosen = choice(catalog, settings.peringatan_diterima)
    rows = published(catalog)
    if not rows:
        console.print("nothing is published yet")
        return
    how = (
        f"pinned by {chosen.penetapan.oleh} on {chosen.penetapan.waktu:%Y-%m-%d %H:%M} UTC: {chosen.penetapan.alasan}"
        if chosen.cara == PINNED and chosen.penetapan
        else "the latest cut-off that passed its quality checks"
    )
    table = Table(title=f"published snapshots (* current: {how})")
    columns = ("", "tag", "cut-off", "published (UTC)", "families", "persons", "verification", "quality")
    for col in (*columns, "missed of poorest 40%", "report"):
        table.add_column(col, justify="right" if col in ("families", "persons", "verification") else "left")
    ineligible = False
    for s in rows:
        n = s.jumlah_baris
        mark = "*" if chosen.snapshot and s.tag == chosen.snapshot.tag else ""
        quality = s.status_mutu
        if why_not_current(s, settings.peringatan_diterima) is not None:
            quality += " (not eligible)"
            ineligible = True
        table.add_row(
            mark,
            s.tag,
            s.cutoff.isoformat(),
            s.diterbitkan.strftime("%Y-%m-%d %H:%M"),
            f"{n['keluarga']:,}",
            f"{n['individu']:,}",
            f"{n['verifikasi']:,}",
            quality,
            targeting_line(s.galat_penargetan),
            str(_report_of(settings, s)),
        )
    console.print(table)
    console.print(
        "missed of poorest 40%: the share of the poorest 40% of persons that desil 1-4 leaves out, "
        "estimated out of sample on the survey (the model's error; source errors not included)"
    )
    if ineligible:
        console.print(
            "not eligible: the rule never makes it current (its quality is not LULUS, or it has warnings "
            "not accepted in DTSEN_PERINGATAN_DITERIMA); `dtsen current set TAG --alasan ...` can"
        )
    if chosen.snapshot is None:
        console.print("no snapshot is current: none passed its quality checks; pin one with `dtsen current set TAG`")


def _report_of(settings, snapshot) -> Path:
    """The run report of the attempt that made this snapshot (each attempt keeps its own)."""
    from flows.manifest import attempt_dir
    from flows.refresh import REPORT

    run = settings.runs_dir / snapshot.run_id
    attempt = snapshot.manifest.get("percobaan")
    return attempt_dir(run, attempt) / REPORT if attempt else run / REPORT


current_app = _Commands(help="Which snapshot readers get without naming a tag: pin one, or follow the rule.")
app.add_typer(current_app, name="current")
app.command("cleanup")(rapikan)  # housekeeping: flows/rapikan.py

akses_app = _Commands(help="Agencies' credentials for `dtsen serve`: make, list, revoke.", no_args_is_help=True)
app.add_typer(akses_app, name="akses")

# The verbs are English; the names they had before stay, hidden, for operators' scripts.
for _old, _command in (("akurasi", akurasi), ("jelaskan", jelaskan), ("rapikan", rapikan)):
    app.command(_old, hidden=True)(_command)


@current_app.command("show")
def current_show() -> None:
    """The current snapshot, how it was chosen, and the pins and releases so far."""
    from dtsen.settings import get_settings
    from warehouse import open_catalog
    from warehouse.current import PINNED, choice, pins

    settings = get_settings()
    catalog = open_catalog(settings)
    chosen = choice(catalog, settings.peringatan_diterima)
    if chosen.snapshot is None:
        console.print("no snapshot is current: none passed its quality checks")
    else:
        how = "pinned" if chosen.cara == PINNED else "by the rule: the latest cut-off that passed its quality checks"
        console.print(f"current: [bold]{chosen.snapshot.tag}[/], {how}")
    history = pins(catalog)
    if history:
        table = Table(title="pins and releases")
        for col in ("time (UTC)", "action", "tag", "by", "why"):
            table.add_column(col)
        for p in history:
            table.add_row(f"{p.waktu:%Y-%m-%d %H:%M}", p.aksi, p.tag or "", p.oleh, p.alasan)
        console.print(table)


@current_app.command("set")
def current_set(
    tag: Annotated[str, typer.Argument(help="the snapshot to make current")],
    alasan: Annotated[str, typer.Option(help="why (kept in the warehouse and the audit log)")],
) -> None:
    """Pin a snapshot as current (a rollback, or a warning accepted once), until `dtsen current release`."""
    from dtsen.settings import get_settings
    from warehouse import open_catalog
    from warehouse.audit import operator, record
    from warehouse.current import pin

    settings = get_settings()
    try:
        event = pin(open_catalog(settings), tag, alasan, operator())
    except ValueError as e:
        _fail("current set", e)
    record(settings, "current set", "operator", tag, alasan=event.alasan)
    console.print(f"[bold]{tag}[/] is current until `dtsen current release`")


@current_app.command("release")
def current_release(
    alasan: Annotated[str, typer.Option(help="why (kept in the warehouse and the audit log)")],
) -> None:
    """Unpin: current follows the rule again (the latest cut-off that passed its quality checks)."""
    from dtsen.settings import get_settings
    from warehouse import current, open_catalog
    from warehouse.audit import operator, record
    from warehouse.current import release

    settings = get_settings()
    catalog = open_catalog(settings)
    try:
        event = release(catalog, alasan, operator())
    except ValueError as e:
        _fail("current release", e)
    now = current(catalog, settings.peringatan_diterima)
    record(settings, "current release", "operator", now.tag if now else None, alasan=event.alasan)
    console.print(f"current follows the rule again: {now.tag if now else 'no snapshot passed its quality checks'}")


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL over keluarga, individu, tautan_sumber, verifikasi, karantina")],
    snapshot: Annotated[str | None, typer.Option(help="tag; default: the current snapshot")] = None,
    format: Annotated[str, typer.Option("--format", help="table, csv or parquet")] = "table",
    out: Annotated[Path | None, typer.Option(help="file for csv or parquet")] = None,
    akses: AksesOption = "analis",
    limit: Annotated[int, typer.Option(help="rows shown in table format")] = 50,
) -> None:
    """SQL over one snapshot (time travel by tag), recorded in the audit log."""
    import duckdb

    from dtsen.settings import get_settings
    from layanan.kueri import shape_of
    from warehouse import TABLES, AccessError, SnapshotNotFound, open_catalog, open_snapshot, resolve
    from warehouse.audit import record
    from warehouse.read import referenced

    level = _akses(akses)
    if format not in ("table", "csv", "parquet") or (format != "table" and out is None):
        _fail("query", ValueError("--format is table, csv or parquet; csv and parquet need --out FILE"))
    settings = get_settings()
    catalog = open_catalog(settings)
    try:
        snap = resolve(catalog, snapshot)
        con = open_snapshot(catalog, snap, level, tables=referenced(sql) or None)
        columns = {r[0] for t in referenced(sql) for r in con.execute(f"DESCRIBE {t}").fetchall()}
        result = con.sql(sql).to_arrow_table()
    except AccessError as e:
        # A refused read is recorded too: the audit shows who asked for what.
        record(settings, "query", level.value, snapshot, "DITOLAK", kueri=shape_of(sql, (), TABLES))
        _fail("query", e)
    except SnapshotNotFound as e:
        _fail("query", e)
    except Exception as e:
        record(settings, "query", level.value, snapshot, "GAGAL", kueri=shape_of(sql, (), TABLES))
        _fail("query failed", e)
    record(settings, "query", level.value, snap.tag, kueri=shape_of(sql, columns, TABLES), baris=result.num_rows)
    if format in ("csv", "parquet"):
        # A fresh DuckDB writes the file: the analyst's own connection has no file access,
        # and DuckDB's CSV writer takes lists and structs where pyarrow's does not.
        written = duckdb.connect().from_arrow(result)
        written.write_csv(str(out)) if format == "csv" else written.write_parquet(str(out))
    if out is not None:
        console.print(f"{result.num_rows:,} rows from snapshot {snap.tag} written to {out}", soft_wrap=True)
        return
    table = Table(title=f"snapshot {snap.tag} ({level.value}): {result.num_rows:,} rows")
    for name in result.column_names:
        table.add_column(name)
    for row in result.slice(0, limit).to_pylist():
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    console.print(table)
    if result.num_rows > limit:
        console.print(f"{result.num_rows - limit:,} more rows: use --format csv|parquet --out FILE")


@app.command()
def diff(
    tag_a: Annotated[str, typer.Argument(help="the older snapshot")],
    tag_b: Annotated[str, typer.Argument(help="the newer snapshot")],
    out: Annotated[Path | None, typer.Option(help="folder for the files; default var/diff/A_B")] = None,
    akses: AksesOption = "analis",
) -> None:
    """Families and persons that entered, left or changed decile, per province."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from dtsen.settings import get_settings
    from warehouse import AccessError, Akses, SnapshotNotFound, open_catalog, open_snapshot, resolve
    from warehouse.audit import record
    from warehouse.diff import diff as compare

    level = _akses(akses)
    settings = get_settings()
    catalog = open_catalog(settings)
    try:
        a, b = resolve(catalog, tag_a), resolve(catalog, tag_b)
        con = open_snapshot(catalog, a, level, tables=["keluarga", "individu"], prefix="a_")
        open_snapshot(catalog, b, level, tables=["keluarga", "individu"], prefix="b_", con=con)
    except (AccessError, SnapshotNotFound) as e:
        _fail("diff", e)
    keys = ("no_kk", "nik") if level is Akses.penuh else ("token_no_kk", "token_nik")
    compare(con, *keys)
    summary = con.sql("SELECT * FROM perubahan_provinsi").to_arrow_table()
    detail = con.sql("SELECT * FROM perubahan").to_arrow_table()
    record(settings, "diff", level.value, f"{a.tag}..{b.tag}", baris=detail.num_rows)
    folder = out or settings.home_dir / "diff" / f"{a.tag}_{b.tag}"
    folder.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(summary, folder / "per_provinsi.csv")
    pq.write_table(detail, folder / "perubahan.parquet")
    table = Table(title=f"{a.tag} -> {b.tag}: families / persons")
    table.add_column("province")
    shown = {
        "keluarga_masuk": "families in", "keluarga_keluar": "out", "keluarga_desil_berubah": "decile changed",
        "keluarga_pindah": "moved", "individu_masuk": "persons in", "individu_keluar": "out",
        "individu_desil_berubah": "decile changed", "individu_pindah": "moved",
    }  # fmt: skip
    for col in shown.values():
        table.add_column(col, justify="right")
    totals = dict.fromkeys(shown, 0)
    for row in summary.to_pylist():
        totals = {k: totals[k] + row[k] for k in shown}
        table.add_row(str(row["kode_prov"]), *(f"{row[k]:,}" for k in shown))
    table.add_row("all", *(f"{v:,}" for v in totals.values()))
    console.print(table)
    _decile_reasons(a.tag, b.manifest.get("peringkat", {}).get("stabilitas"))
    console.print(f"files: {folder / 'per_provinsi.csv'}, {folder / 'perubahan.parquet'}", soft_wrap=True)


def _decile_reasons(tag_a: str, found: dict | None) -> None:
    """Why families changed decile, as the newer snapshot's run counted it (stabilitas.py):
    against the snapshot before it, which only a diff of neighbours shares."""
    from flows.report import STABILITY, stability_rows

    if not found or found["terhadap"] != tag_a:
        against = f"snapshot {found['terhadap']}" if found else "no earlier snapshot"
        console.print(
            f"why deciles changed: the newer snapshot's run counted it against {against}, not {tag_a}; "
            "compare neighbouring snapshots to see it",
            soft_wrap=True,
        )
        return
    table = Table(title=f"why families changed decile ({tag_a} cut-offs)")
    table.add_column("province")
    for col in STABILITY.values():
        table.add_column(col, justify="right")
    for code, _, *counts in stability_rows(found, {}):
        table.add_row(code, *counts)
    console.print(table)


@app.command()
def status(
    nik: Annotated[str, typer.Argument(help="the person's NIK")],
    snapshot: Annotated[str | None, typer.Option(help="tag; default: the current snapshot")] = None,
) -> None:
    """Is this person listed, in which family and decile, since when (the Cek Bansos look-up)."""
    from dtsen.privacy import mask_nik
    from dtsen.settings import get_settings
    from warehouse import SnapshotNotFound, open_catalog, resolve
    from warehouse.access import AccessError, pseudonym_key, token
    from warehouse.audit import record
    from warehouse.status import status as look_up

    nik = preflight.nik(nik)
    settings = get_settings()
    catalog = open_catalog(settings)
    try:
        snap = resolve(catalog, snapshot)
    except SnapshotNotFound as e:
        _fail("status", e)
    result = look_up(catalog, snap, nik)
    try:
        who = token(nik.strip(), pseudonym_key(settings))[:16]
    except AccessError:
        who = mask_nik(nik.strip())
    record(settings, "status", "penuh", snap.tag, orang=who, terdaftar=result.terdaftar)
    if result.terdaftar:
        console.print(
            f"{mask_nik(nik)}: listed in snapshot {result.snapshot}, family {mask_nik(result.no_kk)}, "
            f"desil_nasional {result.desil_nasional}, village {result.kode_desa}; listed since {result.sejak}"
            + (
                "; not targeted: an objection that the family is not poor (MAMPU) holds"
                if result.layak_sasaran is False
                else ""
            )
        )
        for id_usulan, jenis, tanggal, state, outcome, alasan, since in result.usulan:
            in_force = f", in force since the snapshot of {since}" if since else ""
            console.print(
                f"  {jenis}{' ' + alasan if alasan else ''} {id_usulan} of {tanggal}: {state}, {outcome}{in_force}"
            )
    else:
        reasons = ", ".join(f"{alasan} ({sumber})" for sumber, alasan in result.alasan)
        console.print(
            f"{mask_nik(nik)}: not listed in snapshot {result.snapshot}"
            + (f"; its source records were set aside: {reasons}" if reasons else "")
        )


# ---------------------------------------------------------------- the service and its keys


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on; default DTSEN_LAYANAN_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="port; default DTSEN_LAYANAN_PORT")] = None,
    workers: Annotated[int, typer.Option(help="processes (each with its own DuckDB per request)")] = 1,
) -> None:
    """The agencies' door: the HTTP service (API, OpenAPI at /docs, and a web page at /)."""
    import uvicorn

    from dtsen.settings import get_settings
    from warehouse.access import pseudonym_key
    from warehouse.catalog import display_url

    settings = get_settings()
    pseudonym_key(settings)  # refused here, in one line, rather than at the first request
    host, port = host or settings.layanan_host, port or settings.layanan_port
    console.print(f"DTSEN service on http://{host}:{port} (catalog {display_url(settings)}); docs at /docs")
    # uvicorn's access log prints request lines; a NIK never travels in a URL, but the log is
    # the service's own audit (warehouse/audit.py), so the access log stays off.
    uvicorn.run("layanan.app:buat_app", factory=True, host=host, port=port, workers=workers, access_log=False)


@akses_app.command("buat")
def akses_buat(
    nama: Annotated[str, typer.Option(help="the agency, as the audit log names it (KEMENSOS, PEMPROV JABAR)")],
    peran: Annotated[str, typer.Option(help="analis: the analyst tables; penuh: names and NIKs too")],
    wilayah: Annotated[str | None, typer.Option(help="province codes it may see, e.g. 32,33; default all")] = None,
    berlaku_sampai: Annotated[str | None, typer.Option(help="last day the key works (YYYY-MM-DD)")] = None,
) -> None:
    """Make a credential and print its key, once: only its hash is kept."""
    from dtsen.referensi import province_codes
    from dtsen.settings import get_settings
    from warehouse import kredensial
    from warehouse.audit import record

    try:
        role = kredensial.Peran(peran)
    except ValueError:
        _fail("akses buat", f"--peran {peran}: use analis or penuh")
    until = preflight.iso_date("--berlaku-sampai", berlaku_sampai) if berlaku_sampai else None
    settings = get_settings()
    made, key = kredensial.create(settings, nama, role, kredensial.provinces(wilayah, province_codes()), until)
    record(settings, "akses buat", "operator", None, kredensial=made.id, nama=made.nama, peran=role.value)
    console.print(f"credential {made.id} for {made.nama} ({role.value}, {', '.join(made.wilayah) or 'all provinces'}"
                  f"{f', until {until}' if until else ''}). The key, shown this once:")  # fmt: skip
    typer.echo(key)


@akses_app.command("daftar")
def akses_daftar() -> None:
    """Every credential: its id, agency, role, provinces, expiry, and whether it is revoked."""
    from dtsen.settings import get_settings
    from warehouse import kredensial

    table = Table(title="credentials (the keys themselves are not kept)")
    for column in ("id", "nama", "peran", "wilayah", "berlaku sampai", "dibuat", "dicabut"):
        table.add_column(column)
    for k in kredensial.listed(get_settings()):
        table.add_row(
            k.id, k.nama, k.peran.value, ",".join(k.wilayah) or "semua", str(k.berlaku_sampai or "-"),
            f"{k.dibuat:%Y-%m-%d %H:%M}", f"{k.dicabut:%Y-%m-%d %H:%M}" if k.dicabut else "-",
        )  # fmt: skip
    console.print(table)


@akses_app.command("cabut")
def akses_cabut(id: Annotated[str, typer.Argument(help="the credential's id (dtsen akses daftar)")]) -> None:
    """Revoke a credential: a running service refuses its key within DTSEN_LAYANAN_SEGAR_DETIK."""
    from dtsen.settings import get_settings
    from warehouse import kredensial
    from warehouse.audit import record

    settings = get_settings()
    done = kredensial.revoke(settings, id.strip())
    record(settings, "akses cabut", "operator", None, kredensial=done.id, nama=done.nama)
    console.print(f"credential {done.id} ({done.nama}) revoked")


# ------------------------------------------------------------------- backup and restore


def _tags_read_back(checked: list) -> None:
    for c in checked:
        console.print(
            f"  {c.tag}: {c.rows.get('keluarga', 0):,} families, {c.rows.get('individu', 0):,} persons, "
            f"{sum(c.rows.values()):,} rows in all, as published",
            soft_wrap=True,
        )


@app.command()
def backup(
    out: Annotated[Path, typer.Option(help="the backup file, FILE.tar (or FILE.tar.gz), outside DTSEN_HOME")],
    warehouse_only: Annotated[
        bool, typer.Option(help="only the warehouse (every snapshot) and the audit log, not runs or landed deliveries")
    ] = False,
) -> None:
    """A consistent copy of DTSEN_HOME in one tar file, under the warehouse lock: snapshots, runs, deliveries, audit."""
    from dtsen.settings import get_settings
    from warehouse.cadangan import backup as take_backup

    done = take_backup(get_settings(), out, warehouse_only=warehouse_only)
    console.print(
        f"backed up {len(done.tags)} snapshot(s) ({', '.join(done.tags) or 'none published'}), {done.tables} tables, "
        f"{done.files:,} warehouse files and {', '.join(done.parts[1:]) or 'nothing else'} to {done.path} "
        f"({done.bytes / 1e6:,.1f} MB, {done.seconds:.1f} s); restore it with `dtsen restore {done.path}`",
        soft_wrap=True,
    )


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="a file `dtsen backup` wrote")],
    home: Annotated[Path | None, typer.Option(help="the home to restore into; default DTSEN_HOME")] = None,
    replace_catalog: Annotated[
        bool,
        typer.Option(help="the catalog (PostgreSQL) still holds these tables: point them at the restored files"),
    ] = False,
) -> None:
    """Restore a backup into a home, at any path: locations rewritten, tables registered, every tag read back."""
    from dtsen.settings import get_settings
    from warehouse.cadangan import restore as restore_backup

    settings = get_settings() if home is None else get_settings().model_copy(update={"home": home})
    done = restore_backup(archive, settings, replace_catalog=replace_catalog)
    from warehouse.catalog import display_url

    console.print(
        f"restored {done.source} into {done.home} ({done.files:,} warehouse files, catalog {display_url(settings)}, "
        f"{done.seconds:.1f} s); every snapshot read back:",
        soft_wrap=True,
    )
    _tags_read_back(done.checked)
    if home is not None:
        console.print(f"use it with DTSEN_HOME={done.home}", soft_wrap=True)


@app.command()
def relocate(
    from_home: Annotated[Path, typer.Option("--from", help="the path the home was copied or moved from")],
) -> None:
    """After copying or moving DTSEN_HOME by other means (cp, rsync): rewrite its locations and repoint its catalog."""
    from dtsen.settings import get_settings
    from warehouse.cadangan import relocate as relocate_home

    done = relocate_home(get_settings(), from_home)
    console.print(
        f"{done.home}: {done.tables} tables now read from here ({done.rewritten:,} metadata files rewritten, "
        f"{done.seconds:.1f} s); every snapshot read back:",
        soft_wrap=True,
    )
    _tags_read_back(done.checked)


def print_summary(manifest: dict, path: Path) -> None:
    table = Table(title=f"run {manifest['run_id']}: rows per extract (read = kept + quarantined)")
    table.add_column("extract", no_wrap=True)
    for col in ("files", "read", "kept", "quarantined", "flags"):
        table.add_column(col, justify="right")
    table.add_column("ok")
    table.add_column("top quarantine rule")
    for name, r in sorted(manifest["rekonsiliasi"].items()):
        top = max(r["karantina_per_aturan"].items(), key=lambda kv: kv[1], default=("", 0))
        table.add_row(
            name,
            str(r["berkas"]),
            f"{r['dibaca']:,}",
            f"{r['diterima']:,}",
            f"{r['dikarantina']:,}",
            f"{sum(r['cacat_per_aturan'].values()):,}",
            "yes" if r["seimbang"] else "[red]NO[/]",
            f"{top[0]} ({top[1]:,})" if top[1] else "",
        )
    console.print(table)
    padan = manifest.get("padan")
    if padan:
        totals: dict[str, int] = {}
        for per_method in padan["per_metode"].values():
            for method, n in per_method.items():
                totals[method] = totals.get(method, 0) + n
        console.print(
            f"matched {padan['catatan']:,} person records: "
            + ", ".join(f"{m} {n:,}" for m, n in sorted(totals.items()))
            + f"; {sum(padan['verifikasi_per_alasan'].values()):,} to verification",
            soft_wrap=True,
        )
    satu = manifest.get("satukan")
    if satu:
        console.print(
            f"unified: {satu['keluarga']:,} families, {satu['individu']:,} living persons; "
            f"{satu['catatan_per_hasil'].get('MENINGGAL', 0):,} records of the dead and "
            f"{satu['verifikasi']:,} items in all to verification",
            soft_wrap=True,
        )
    peringkat = manifest.get("peringkat")
    if peringkat:
        m = peringkat["model"]
        console.print(
            f"ranked {peringkat['keluarga']:,} families with {m['id']} ({m['cara']}; R² "
            f"{m['statistik']['r2']:.3f}, n {m['statistik']['n']:,}); "
            f"{peringkat['keluarga_dengan_masukan_hilang']:,} with a missing input",
            soft_wrap=True,
        )
    mutu = manifest.get("mutu")
    if mutu:
        checked = sum(len(r["per_aturan"]) for r in mutu["rangkaian"].values())
        console.print(
            f"quality: {mutu['status']} ({checked} expectations in {len(mutu['rangkaian'])} suites, "
            f"{sum(mutu['detik'].values()):.1f} s)"
            + (f"; warnings: {', '.join(mutu['peringatan'])}" if mutu["peringatan"] else ""),
            soft_wrap=True,
        )
    landed = manifest["landed"]
    # soft_wrap: a path is never broken over two lines, so it can be copied (and parsed).
    for label, where in (
        ("delivery " + ("recognised (already landed)" if landed["reused"] else "landed"), landed["path"]),
        ("standardized tables", path.parent / "standardized"),
        ("unified tables (keluarga, individu, verifikasi)", path.parent / "unified"),
        ("ranked tables and the welfare model", path.parent / "ranked"),
        ("quarantine", path.parent / "karantina"),
        ("manifest (counts per rule, checksums, versions)", path),
        *([("quality results (Data Docs)", mutu["data_docs"])] if mutu else []),
        ("run report (HTML with plots)", path.parent / "laporan.html"),
        *(
            [("this attempt's manifest and report", path.parent / "percobaan" / str(manifest["percobaan"]))]
            if "percobaan" in manifest
            else []
        ),
    ):
        console.print(f"{label}: {where}", soft_wrap=True)
    terbit = manifest.get("terbit")
    if terbit:
        from dtsen.settings import get_settings
        from warehouse.catalog import display_url, warehouse_dir

        settings = get_settings()
        state = "published" if terbit["baru"] else "already published (same delivery), unchanged"
        console.print(
            f"snapshot {terbit['tag']} {state}: warehouse {warehouse_dir(settings)}, catalog "
            f"{display_url(settings)}; read it with `dtsen snapshots` and `dtsen query`",
            soft_wrap=True,
        )
        from warehouse import open_catalog, resolve

        _say_current(settings, resolve(open_catalog(settings), terbit["tag"]))


if __name__ == "__main__":
    app()
