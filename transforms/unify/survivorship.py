"""Survivorship: the configured order (survivorship.toml) that picks each family field's value.

The SQL is built by small pure functions from the configuration: each group's criteria
rank a family's candidate households once (`urutan_<group>`), then one `arg_min` per field
takes the best-ranked value, and one more its source (the lineage). Field names are checked against the
source household table before they reach SQL; source names reach it as parameters.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

CONFIG = Path(__file__).parent / "survivorship.toml"
CRITERIA = ("utama", "terbaru", "kepercayaan")

# Columns of `keluarga_sumber` that identify or date a household rather than describe it.
IDENTITY = frozenset(
    {"sumber", "id_keluarga_sumber", "no_kk", "kode_desa", "kode_prov", "tanggal_data", "jumlah_anggota_sumber"}
)


class SurvivorshipError(ValueError):
    """The survivorship configuration does not fit the source tables."""


@dataclass(frozen=True)
class Group:
    name: str
    fields: tuple[str, ...]
    criteria: tuple[str, ...]
    trust: tuple[str, ...]
    own_household_only: bool = False  # `hanya_utama`: only households speaking first for the KK

    @property
    def trust_param(self) -> str:
        return f"kepercayaan_{self.name}"


def load(path: Path = CONFIG) -> list[Group]:
    config = tomllib.loads(path.read_text())
    default = config.get("bawaan", {})
    groups = []
    for name, g in config.get("kelompok", {}).items():
        criteria = tuple(g.get("kriteria", default.get("kriteria", CRITERIA)))
        unknown = set(criteria) - set(CRITERIA)
        if unknown:
            raise SurvivorshipError(
                f"{path.name}: group {name!r} has unknown criteria {sorted(unknown)}; use {list(CRITERIA)}"
            )
        groups.append(
            Group(
                name,
                tuple(g["bidang"]),
                criteria,
                tuple(g.get("kepercayaan", default["kepercayaan"])),
                bool(g.get("hanya_utama", False)),
            )
        )
    return groups


def check(groups: list[Group], columns: list[str], path: Path = CONFIG) -> None:
    """Every attribute column has exactly one group, and every configured field exists:
    a field nobody configured would otherwise vanish from the published family."""
    configured = [f for g in groups for f in g.fields]
    twice = sorted({f for f in configured if configured.count(f) > 1})
    missing = sorted(set(configured) - set(columns))
    unowned = sorted(set(columns) - IDENTITY - set(configured))
    problems = []
    if twice:
        problems.append(f"fields in more than one group: {twice}")
    if missing:
        problems.append(f"fields no source household has: {missing}")
    if unowned:
        problems.append(f"source household fields no group decides: {unowned} (add them to a group)")
    if problems:
        raise SurvivorshipError(f"{path.name}: " + "; ".join(problems))


def order_sql(group: Group) -> str:
    """The ORDER BY of a family's candidates for one group, best first."""
    parts = {
        "utama": "r.utama DESC",
        "terbaru": "k.tanggal_data DESC NULLS LAST",
        # Position in the trust list, most trusted first; unlisted sources last.
        "kepercayaan": f"coalesce(nullif(list_position(${group.trust_param}, k.sumber), 0), 1000)",
    }
    return ", ".join([parts[c] for c in group.criteria] + ["k.sumber DESC", "k.id_keluarga_sumber DESC"])


def rank_sql(group: Group) -> str:
    """Each candidate's place for one group (1 = best): computed once, used by every field."""
    return f"row_number() OVER (PARTITION BY r.no_kk ORDER BY {order_sql(group)}) AS urutan_{group.name}"


def field_sql(field: str, group: Group) -> str:
    """The winning value of one field (the best candidate that has one), and its source."""
    only_with_value = f"FILTER (WHERE {field} IS NOT NULL{' AND utama' if group.own_household_only else ''})"
    return (
        f"arg_min({field}, urutan_{group.name}) {only_with_value} AS {field},\n"
        f"    arg_min(sumber, urutan_{group.name}) {only_with_value} AS asal_{field}"
    )


def attributes_sql(groups: list[Group]) -> str:
    """One row per KK: every configured field by survivorship, with its lineage."""
    fields = [field_sql(f, g) for g in groups for f in g.fields]
    ranks = ",\n        ".join(rank_sql(g) for g in groups)
    return f"""
CREATE OR REPLACE TABLE keluarga_atribut AS
WITH calon AS (
    SELECT r.no_kk, r.utama, k.*,
        {ranks}
    FROM rumah_tangga_kk r
    JOIN keluarga_sumber k USING (sumber, id_keluarga_sumber)
)
SELECT no_kk,
    {(",".join(chr(10) + "    " + f for f in fields)).lstrip()},
    list({{'sumber': sumber, 'id_keluarga_sumber': id_keluarga_sumber, 'utama': utama}}
         ORDER BY sumber, id_keluarga_sumber) AS rumah_tangga_sumber
FROM calon
GROUP BY no_kk
"""


def lineage_sql(groups: list[Group]) -> str:
    """`asal_bidang`: one struct field per family field, holding the winning source (NULL
    when no source had a value). A struct costs nothing to build and reads as `asal_bidang.r303`."""
    return "struct_pack(" + ", ".join(f"{f} := asal_{f}" for g in groups for f in g.fields) + ")"


def params(groups: list[Group]) -> dict[str, list[str]]:
    return {g.trust_param: list(g.trust) for g in groups}
