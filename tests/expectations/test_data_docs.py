"""The Data Docs read offline: no stylesheet or script from the network, every local one
there, and the results (labelled by the batch they checked) listed with their rules and
severities in plain HTML, before any JavaScript runs."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import great_expectations

import expectations
from expectations import baku, data_docs, mentah, runner, terbit, terpadu
from tests.expectations.test_suites import CUTOFF, MANIFEST, check, run_dir  # noqa: F401  (the fixture)

LOADS = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)|<link\b[^>]*\bhref\s*=\s*[\"']([^\"']+)[^>]*>", re.I)
TEMPLATES = Path(great_expectations.__file__).parent / "render" / "view" / "templates"


def loads(page: Path) -> list[str]:
    """What a page loads: scripts, and stylesheets or icons (not navigation links)."""
    found = []
    for m in LOADS.finditer(page.read_text(encoding="utf-8")):
        if m.group(1):
            found.append(m.group(1))
        elif re.search(r"rel\s*=\s*[\"'][^\"']*(stylesheet|icon)", m.group(0), re.I):
            found.append(m.group(2))
    return found


def test_the_data_docs_load_nothing_from_the_network_and_find_every_file(run_dir):  # noqa: F811
    check(run_dir, baku.rangkaian(run_dir, CUTOFF) + terpadu.rangkaian(run_dir) + terbit.rangkaian(run_dir, MANIFEST))
    index = expectations.docs_index(run_dir)
    pages = list(index.parent.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        for url in loads(page):
            assert not re.match(r"(https?:)?//", url), f"{page.name} loads {url}"
            assert (page.parent / url).resolve().is_file(), f"{page.name}: {url} is not in the site"
        assert "great-expectations-web-assets" not in page.read_text()  # GX's logo: the site's copy
    assert {"jquery.min.js", "bootstrap-table.min.js", "bootstrap.min.css"} <= {Path(u).name for u in loads(index)}


def test_the_index_lists_each_result_by_batch_with_rule_names_and_severities(run_dir):  # noqa: F811
    columns = {e.name: list(e.columns) for e in mentah.EXTRACTS}
    suites = (
        mentah.rangkaian(
            columns,
            [
                {
                    "sumber": e.name,
                    "berkas": f"{e.folder}/{e.name}_32.csv",
                    "dibaca": 700 if e.name == "dtks" else 9,
                    "diterima": 700 if e.name == "dtks" else 9,
                }
                for e in mentah.EXTRACTS
            ],
            [
                {
                    "sumber": e.name,
                    "berkas": f"{e.folder}/{e.name}_32.csv",
                    "dibaca": 1000 if e.name == "dtks" else 9,
                    "diterima": 1000 if e.name == "dtks" else 9,
                }
                for e in mentah.EXTRACTS
            ],
            0.5,
        )
        + baku.rangkaian(run_dir, CUTOFF)
        + terpadu.rangkaian(run_dir)
    )
    result = check(run_dir, suites)
    assert result["peringatan"] == ["mentah.ekstrak:JUMLAH_BARIS_WAJAR"]
    index = expectations.docs_index(run_dir).read_text(encoding="utf-8")
    static = re.sub(r"<script\b.*?</script>", "", index, flags=re.S)  # what shows before JavaScript runs
    for suite in suites:
        for e in suite.expectations:
            row = re.search(
                rf"<td>{re.escape(suite.name)}</td><td><code>{e.meta['aturan']}</code></td>"
                rf"<td class='tingkat-(\w+)'>(\w+)</td>",
                static,
            )
            assert row and row.group(2) == e.severity.value, (suite.name, e.meta["aturan"])
    # Each result by what it checked: the standardized tables, the raw extracts, the hash buckets.
    for batch in ("dtks_individu", "dukcapil_penduduk", "dtks_keluarga", "ekstrak", "individu#0", "keluarga#0"):
        assert f">{batch}</a>" in static, batch
    assert re.search(r"<code>JUMLAH_BARIS_WAJAR</code> \(warning, 1\)", static)  # the failed rule, shown
    # GX's own index names them too (its run name), and each result page opens with its rules.
    stored = expectations.project(run_dir) / "gx" / "uncommitted" / "validations"
    assert (stored / "baku/orang/dtks_individu").is_dir() and (stored / "terpadu/individu/individu-0").is_dir()
    site = expectations.docs_index(run_dir).parent
    page = next(site.glob("validations/baku/orang/dtks_individu/*/*.html"))
    text = re.sub(r"<script\b.*?</script>", "", page.read_text(encoding="utf-8"), flags=re.S)
    assert "baku.orang on dtks_individu" in text
    assert "<code>NIK_16_DIGIT</code></td><td class='tingkat-critical'>" in text
    assert (site / "static" / "vendor" / "LICENSES.md").is_file()


def test_a_table_in_parts_labels_each_part(run_dir, monkeypatch):  # noqa: F811
    monkeypatch.setattr(runner, "ROWS_PER_BATCH", 5)  # 12 persons: three parts
    check(run_dir, [baku.persons(run_dir, CUTOFF)])
    stored = expectations.project(run_dir) / "gx" / "uncommitted" / "validations" / "baku" / "orang"
    assert {"dtks_individu", "dtks_individu-bagian-2", "dtks_individu-bagian-3"} <= {d.name for d in stored.iterdir()}


def test_every_cdn_file_gx_templates_load_has_a_local_copy():
    """A GX upgrade that loads something new shows up here, not as a broken page offline."""
    remote = set()
    for template in TEMPLATES.glob("*.j2"):
        for m in re.finditer(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"(https?://[^\"]+)\"", template.read_text()):
            remote.add(m.group(1))
    assert remote and remote <= set(data_docs.ASSETS) | data_docs.LEFT_OUT, remote - set(data_docs.ASSETS)
    for copy in data_docs.ASSETS.values():
        assert (data_docs.STATIC / copy).is_file(), copy


def test_the_copies_are_the_files_gx_pins():
    """Where GX's templates pin a file by its hash (subresource integrity), the copy has it."""
    pinned = 0
    for template in TEMPLATES.glob("*.j2"):
        for m in re.finditer(r"src=\"(https?://[^\"]+)\" integrity=\"sha384-([^\"]+)\"", template.read_text()):
            digest = base64.b64encode(
                hashlib.sha384((data_docs.STATIC / data_docs.ASSETS[m.group(1)]).read_bytes()).digest()
            ).decode()
            assert digest == m.group(2), m.group(1)
            pinned += 1
    assert pinned >= 2


def test_offline_rewrites_a_page_and_drops_what_has_no_copy():
    page = (
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js" '
        'integrity="sha384-x" crossorigin="anonymous"></script>'
        '<script src="https://example.org/new.js"></script><a href="https://greatexpectations.io">GX</a>'
    )
    text, dropped = data_docs.offline(page, "../../", set())
    assert 'href="../../static/vendor/bootstrap/bootstrap.min.css"' in text
    assert '<script src="../../static/vendor/popper/popper.min.js"></script>' in text  # no integrity/CORS on file://
    assert "example.org" not in text and dropped == {"https://example.org/new.js"}
    assert '<a href="https://greatexpectations.io">' in text  # a link, not a load
