"""Data Docs an operator can read offline, that say what each result checked.

GX's page templates load their styles and scripts (bootstrap, jquery, bootstrap-table,
font-awesome, vega) from CDNs, and its index table is drawn by JavaScript: without the
network the index is empty and unstyled. So after every build:

- the copies in `expectations/static/` (same versions; sources and licences in its
  LICENSES.md) are put into the site (`static/vendor/`) and every page's CDN links point
  to them; a remote stylesheet or script that has no copy is dropped (it cannot load
  offline anyway) and named in the log, and a test holds the list against GX's templates;
- each stored result is labelled by the batch it checked (the table, extract or hash
  bucket the suite's batches named): GX's "run name", shown in its own index and titles;
- the index and every result page open with a plain HTML summary (no JavaScript): stage,
  suite, batch, and per rule its name (`meta.aturan`), severity, rows checked and failed.

Counts and rule names only: the stored results are scrubbed of row values before this.
"""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
VENDOR = Path("static") / "vendor"  # inside the built site

# Every stylesheet and script GX 1.x's page templates load from a CDN, and its copy.
ASSETS = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": "bootstrap-table/bootstrap-table-filter-control.min.js",
    # The templates ask for the 1.19.0 stylesheet of the filter control (minified or not): 1.19.1's.
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": "bootstrap-table/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": "bootstrap-table/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": "bootstrap-datepicker/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": "bootstrap-datepicker/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega/vega-embed.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": "bootstrap-dark/bootstrap-prefers-dark.css",
}
LEFT_OUT: set[str] = set()  # remote loads dropped on purpose (none today)
# GX's logo comes from its web-assets bucket, tagged with the project's id; the site has it.
REMOTE_IMAGES = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"

STAGES = {
    "mentah": "raw extracts as landed",
    "baku": "standardized sources",
    "terpadu": "unified register",
    "terbit": "snapshot to publish",
}
MARK = "<!-- dtsen: ringkasan -->"


# -- labels: which batch each stored result checked ------------------------------------------


@dataclass
class Labels:
    """Which batch each stored validation result checked, noted while a suite runs.

    The runner validates its batches one after another and GX stores each result as it is
    made, so the files that appear in the store between handing out one batch and the
    next are that batch's result."""

    store: Path
    by_file: dict[Path, str] = field(default_factory=dict)

    def _stored(self) -> set[Path]:
        return set(self.store.rglob("*.json")) if self.store.exists() else set()

    def wrap(self, batches: Callable) -> Callable:
        def labelled(con) -> Iterator:
            seen = self._stored()
            given: dict[str, int] = {}  # label -> batches handed out under it
            previous: str | None = None
            for label, frame in batches(con):
                seen = self._note(seen, previous)
                given[label] = given.get(label, 0) + 1
                # A table over the batch size comes in parts under one label.
                previous = label if given[label] == 1 else f"{label}-bagian-{given[label]}"
                yield label, frame
            self._note(seen, previous)

        return labelled

    def _note(self, seen: set[Path], label: str | None) -> set[Path]:
        now = self._stored()
        if label is not None:
            for f in now - seen:
                self.by_file[f] = label
        return now


def safe_name(label: str) -> str:
    """A label as a run name: a folder name and a URL path part (no '#', '/', spaces)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-") or "bagian"


def apply_labels(labels: Labels) -> None:
    """Give each noted result its batch as GX's run name: in the file and in its store path
    (`<suite>/<run name>/<run time>/<batch>.json`), which is where GX's index reads it."""
    for f, label in labels.by_file.items():
        if not f.exists():
            continue
        result = json.loads(f.read_text())
        run_id = result.get("meta", {}).get("run_id") or {}
        if run_id.get("run_name"):  # named by whoever ran it: kept
            continue
        name = safe_name(label)
        result.setdefault("meta", {})["run_id"] = run_id | {"run_name": name}
        result["meta"]["dtsen_bagian"] = label
        # What GX's page shows as the data asset: the batch, not the frame's type.
        if isinstance(result["meta"].get("batch_spec"), dict):
            result["meta"]["batch_spec"].setdefault("data_asset_name", label)
        target = f.parent.parent.parent / name / f.parent.name / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(result))
        f.unlink()
        for d in (f.parent, f.parent.parent):
            if d.exists() and not any(d.iterdir()):
                d.rmdir()
    labels.by_file.clear()


# -- reading the stored results ----------------------------------------------------------------


@dataclass
class Aturan:
    name: str
    tingkat: str
    expectation: str
    column: str | None
    diperiksa: int | None
    gagal: int
    sukses: bool


@dataclass
class Hasil:
    """One stored validation result: one suite over one batch."""

    suite: str
    bagian: str
    run_time: str
    sukses: bool
    page: Path  # its page, relative to the site
    rules: list[Aturan]

    @property
    def stage(self) -> str:
        return self.suite.split(".")[0]

    @property
    def rows(self) -> int | None:
        counted = [r.diperiksa for r in self.rules if r.diperiksa is not None]
        return max(counted) if counted else None


def stored_results(store: Path) -> list[Hasil]:
    out = []
    for f in sorted(store.rglob("*.json")):
        result = json.loads(f.read_text())
        meta = result.get("meta", {})
        run_id = meta.get("run_id") or {}
        rules = []
        for r in result.get("results", []):
            config = r.get("expectation_config") or {}
            counts = r.get("result") or {}
            success = bool(r.get("success"))
            failed = counts.get("unexpected_count")
            rules.append(
                Aturan(
                    name=(config.get("meta") or {}).get("aturan", config.get("type", "?")),
                    tingkat=str(config.get("severity") or "critical"),
                    expectation=config.get("type", "?"),
                    column=(config.get("kwargs") or {}).get("column"),
                    diperiksa=counts.get("element_count"),
                    gagal=int(failed) if failed is not None else int(not success),
                    sukses=success,
                )
            )
        out.append(
            Hasil(
                suite=result.get("suite_name", "?"),
                bagian=meta.get("dtsen_bagian") or run_id.get("run_name") or "(unnamed)",
                run_time=str(run_id.get("run_time") or ""),
                sukses=bool(result.get("success")),
                page=Path("validations") / f.relative_to(store).with_suffix(".html"),
                rules=rules,
            )
        )
    return out


def latest(results: list[Hasil]) -> list[Hasil]:
    """The newest result per suite and batch (a re-run of a stage adds results), in stage order."""
    newest: dict[tuple[str, str], Hasil] = {}
    for h in sorted(results, key=lambda h: h.run_time):
        newest[(h.suite, h.bagian)] = h
    order = list(STAGES)
    return sorted(
        newest.values(), key=lambda h: (order.index(h.stage) if h.stage in order else len(order), h.suite, h.run_time)
    )


# -- the static summaries --------------------------------------------------------------------

STYLE = """<style>
.dtsen-ringkasan { margin: 0 0 1.5rem 0; font-size: 0.9rem; }
.dtsen-ringkasan table { border-collapse: collapse; margin: 0.4rem 0 1rem 0; }
.dtsen-ringkasan th, .dtsen-ringkasan td { border: 1px solid #ccd; padding: 2px 8px; text-align: left; }
.dtsen-ringkasan td.n { text-align: right; font-variant-numeric: tabular-nums; }
.dtsen-ringkasan .lulus { color: #1b6e20; font-weight: bold; }
.dtsen-ringkasan .gagal { color: #b00020; font-weight: bold; }
.dtsen-ringkasan .peringatan { color: #9a5b00; font-weight: bold; }
.dtsen-ringkasan .tingkat-critical { font-weight: bold; }
</style>"""


def _n(v: int | None) -> str:
    return "—" if v is None else f"{v:,}"


def _status(ok: bool, tingkat: str = "critical") -> str:
    if ok:
        return "<span class='lulus'>passed</span>"
    return "<span class='gagal'>FAILED</span>" if tingkat == "critical" else "<span class='peringatan'>warning</span>"


def _result_status(h: Hasil) -> str:
    failed = [r for r in h.rules if not r.sukses]
    if not failed:
        return _status(True)
    return _status(False, "critical" if any(r.tingkat == "critical" for r in failed) else "warning")


def index_summary(results: list[Hasil], title: str = "") -> str:
    """Per suite and rule over its newest results, then every batch: plain HTML."""
    e = html.escape
    rows_rules, rows_batches = [], []
    by_suite: dict[str, dict[str, list[Aturan]]] = {}
    for h in results:
        for r in h.rules:
            by_suite.setdefault(h.suite, {}).setdefault(r.name, []).append(r)
    for suite, rules in by_suite.items():
        for name, parts in rules.items():
            ok = all(p.sukses for p in parts)
            rows_rules.append(
                f"<tr><td>{e(suite)}</td><td><code>{e(name)}</code></td>"
                f"<td class='tingkat-{e(parts[0].tingkat)}'>{e(parts[0].tingkat)}</td><td class='n'>{len(parts)}</td>"
                f"<td class='n'>{_n(sum(p.diperiksa or 0 for p in parts))}</td>"
                f"<td class='n'>{_n(sum(p.gagal for p in parts))}</td><td>{_status(ok, parts[0].tingkat)}</td></tr>"
            )
    for h in results:
        failed = ", ".join(f"<code>{e(r.name)}</code> ({e(r.tingkat)}, {r.gagal:,})" for r in h.rules if not r.sukses)
        rows_batches.append(
            f"<tr><td>{e(h.stage)}</td><td>{e(h.suite)}</td><td><a href='{e(h.page.as_posix())}'>{e(h.bagian)}</a></td>"
            f"<td class='n'>{_n(h.rows)}</td><td class='n'>{len(h.rules)}</td><td>{_result_status(h)}</td>"
            f"<td>{failed or '—'}</td></tr>"
        )
    stages = "; ".join(f"<b>{e(k)}</b>: {e(v)}" for k, v in STAGES.items())
    return (
        f"{MARK}{STYLE}<div class='dtsen-ringkasan'><h3>DTSEN quality results{e(title)}</h3>"
        f"<p>The newest result of every suite on every batch (the table, extract or hash bucket it "
        f"checked). Stages: {stages}. Counts only: rejected rows are in the run's "
        f"<code>karantina/mutu/</code>, masked.</p>"
        "<h4>Rules</h4><table><thead><tr><th>suite</th><th>rule</th><th>severity</th><th>batches</th>"
        "<th>rows checked</th><th>rows failed</th><th>status</th></tr></thead><tbody>"
        + "".join(rows_rules)
        + "</tbody></table>"
        "<h4>Validation results by batch</h4><table><thead><tr><th>stage</th><th>suite</th><th>batch</th>"
        "<th>rows</th><th>rules</th><th>status</th><th>failed rules (severity, rows)</th></tr></thead><tbody>"
        + "".join(rows_batches)
        + "</tbody></table></div>"
    )


def page_summary(h: Hasil) -> str:
    """What one result page checked, and its rules: plain HTML at the top of the page."""
    e = html.escape
    rows = "".join(
        f"<tr><td><code>{e(r.name)}</code></td><td class='tingkat-{e(r.tingkat)}'>{e(r.tingkat)}</td>"
        f"<td>{e(r.expectation)}</td><td>{e(r.column or '—')}</td><td class='n'>{_n(r.diperiksa)}</td>"
        f"<td class='n'>{_n(r.gagal)}</td><td>{_status(r.sukses, r.tingkat)}</td></tr>"
        for r in h.rules
    )
    return (
        f"{MARK}{STYLE}<div class='dtsen-ringkasan'><h3>{e(h.suite)} on {e(h.bagian)}: {_result_status(h)}</h3>"
        f"<p>Stage <b>{e(h.stage)}</b> ({e(STAGES.get(h.stage, '?'))}), suite <b>{e(h.suite)}</b>, "
        f"batch <b>{e(h.bagian)}</b> (the table, extract or hash bucket checked), {_n(h.rows)} rows, "
        f"validated {e(h.run_time)}.</p>"
        "<table><thead><tr><th>rule</th><th>severity</th><th>expectation</th><th>column</th>"
        "<th>rows checked</th><th>rows failed</th><th>status</th></tr></thead><tbody>" + rows + "</tbody></table></div>"
    )


# -- offline pages ---------------------------------------------------------------------------

TAG = re.compile(r"<(script|link|img)\b[^>]*>(?:\s*</script>)?", re.IGNORECASE)
URL = re.compile(r"""\b(src|href)\s*=\s*(["'])(https?://[^"']+)\2""", re.IGNORECASE)
LOCAL_STATIC = re.compile(r"""\b(src|href)\s*=\s*(["'])(?:\./|\.\./)*static/""", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style\b.*?</style>", re.IGNORECASE | re.DOTALL)
CSS_URL = re.compile(r"""url\(\s*["']?https?://[^)"']*["']?\s*\)""", re.IGNORECASE)
MAIN = '<div class="col-md-10 col-lg-10 col-xs-12 pl-md-4 pr-md-3">'


def offline(text: str, to_root: str, images: set[str]) -> tuple[str, set[str]]:
    """The page with every CDN stylesheet and script pointing at the site's copies, GX's
    remote logo at the site's own, and remote loads without a copy dropped (returned)."""
    dropped: set[str] = set()

    def local(match: re.Match) -> str:
        tag, kind = match.group(0), match.group(1).lower()
        found = URL.search(tag)
        if not found:
            # The site's own files, from where this page is (GX counts one folder short for
            # the favicon of a result page).
            return LOCAL_STATIC.sub(lambda m: f"{m.group(1)}={m.group(2)}{to_root}static/", tag)
        url = found.group(3)
        if kind == "link" and "stylesheet" not in tag.lower() and "icon" not in tag.lower():
            return tag  # a link that loads nothing
        if kind == "img":
            name = url.removeprefix(REMOTE_IMAGES).split("?")[0]
            if url.startswith(REMOTE_IMAGES) and name in images:
                return tag.replace(found.group(0), f'{found.group(1)}="{to_root}static/images/{name}"')
            dropped.add(url)
            return tag.replace(found.group(0), f'{found.group(1)}=""')
        if url in ASSETS:
            tag = tag.replace(found.group(0), f'{found.group(1)}="{to_root}{(VENDOR / ASSETS[url]).as_posix()}"')
            # Subresource integrity and CORS mode do not apply to a file read from disk
            # (Chromium refuses a crossorigin script from file://); the copies are the same bytes.
            return re.sub(r"""\s+(integrity|crossorigin)\s*=\s*(["'])[^"']*\2""", "", tag)
        if url not in LEFT_OUT:
            dropped.add(url)
        return ""

    def no_remote_images(style: re.Match) -> str:
        # GX's stylesheet draws its dark-mode logo from its web-assets bucket.
        return CSS_URL.sub("none", style.group(0))

    return STYLE_BLOCK.sub(no_remote_images, TAG.sub(local, text)), dropped


def _insert(text: str, block: str) -> str:
    if MARK in text:
        return text
    if MAIN in text:
        return text.replace(MAIN, MAIN + block, 1)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + block, text, count=1)


def finish_site(site: Path, store: Path, title: str = "") -> None:
    """After GX built the site: copies of the assets in, every page offline, summaries on."""
    if not site.exists():
        return
    shutil.copytree(STATIC, site / VENDOR, dirs_exist_ok=True)
    images = {p.name for p in (site / "static" / "images").glob("*")}
    results = stored_results(store)
    pages = {h.page.as_posix(): h for h in results}
    dropped: set[str] = set()
    for page in site.rglob("*.html"):
        rel = page.relative_to(site)
        to_root = "../" * (len(rel.parts) - 1)
        text, lost = offline(page.read_text(encoding="utf-8"), to_root, images)
        dropped |= lost
        if rel.as_posix() == "index.html":
            text = _insert(text, index_summary(latest(results), title))
        elif rel.as_posix() in pages:
            text = _insert(text, page_summary(pages[rel.as_posix()]))
        page.write_text(text, encoding="utf-8")
    if dropped:
        log.warning(
            "Data Docs: no local copy of %s; dropped (add it to expectations/static)", ", ".join(sorted(dropped))
        )


def without_how_to(ctx) -> None:
    """GX's site without its walkthrough pop-up and tutorial footer (links to the web)."""
    sites = ctx.variables.data_docs_sites or {}
    for name, config in sites.items():
        if config.get("show_how_to_buttons", True):
            ctx.update_data_docs_site(name, {**config, "show_how_to_buttons": False})


def site_dir(gx_project: Path) -> Path:
    return gx_project / "gx" / "uncommitted" / "data_docs" / "local_site"


def store_dir(gx_project: Path) -> Path:
    return gx_project / "gx" / "uncommitted" / "validations"
