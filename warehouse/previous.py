"""The previous snapshot as a run's rank stage reads it, to say which families changed decile
and why (transforms/rank/stabilitas.py): the latest snapshot with an earlier cut-off, its
families' deciles and log scores, and the model it scored with.

Written under the run's `ranked/lalu/` only when it names another snapshot than what is
there (`sumber.json`), so that a resumed run finds its rank tasks' inputs unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from pyiceberg.catalog import Catalog

from transforms.engine import copy_atomic
from transforms.rank import model as pmt
from warehouse.access import Akses
from warehouse.read import open_snapshot
from warehouse.registry import Snapshot, snapshots


def before(catalog: Catalog, cutoff: dt.date) -> Snapshot | None:
    """The latest snapshot (its last revision) with a cut-off before `cutoff`."""
    earlier = [s for s in snapshots(catalog) if s.cutoff < cutoff]
    return earlier[-1] if earlier else None


def model_of(snapshot: Snapshot, runs_dir: Path) -> dict | None:
    """The model the snapshot scored with: from its manifest, or (published before the
    manifest held it) its run's model file, when the run folder is still there."""
    held = snapshot.manifest.get("peringkat", {}).get("model", {}).get("skor")
    if held is not None:
        return held
    kept = runs_dir / snapshot.run_id / "ranked" / "model_pmt.json"
    return pmt.load(kept) if kept.exists() else None


def export(catalog: Catalog, cutoff: dt.date, runs_dir: Path, folder: Path) -> str | None:
    """`folder`: the previous snapshot's families (no_kk, desil_nasional, skor_log), its
    model and which snapshot it is; the tag, or None (and no folder) when there is none to
    compare with or its model is gone."""
    previous = before(catalog, cutoff)
    model = model_of(previous, runs_dir) if previous else None
    if previous is None or model is None:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    source = {"tag": previous.tag, "revisi": previous.revisi, "model": model["id"]}
    marker = folder / "sumber.json"
    if marker.exists() and json.loads(marker.read_text()) == source:
        return previous.tag
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    con = open_snapshot(catalog, previous, Akses.penuh, tables=["keluarga"])
    copy_atomic(con, "SELECT no_kk, desil_nasional, skor_log FROM keluarga", folder / "keluarga.parquet")
    pmt.save(model, folder / "model_pmt.json")
    marker.write_text(json.dumps(source))  # last: a folder cut short is written again
    return previous.tag
