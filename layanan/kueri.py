"""Analysts' SQL, checked before it runs, and its shape for the audit log.

DuckDB's own parser decides, not string matching: the text must be one statement, a
SELECT (a WITH is one), and its syntax tree (`json_serialize_sql`) may name only the
snapshot's tables and its own CTEs: no table function (`read_parquet`, `glob`), no other
catalog or schema, no `AT` time travel. The engine is locked behind that anyway (read.py):
no external access, configuration locked, limits set. A check that fails says why in words
of its own; it never quotes the query back (a NIK typed into it would land in an error
message, a log, a screen).

The shape is the same tree with every literal blanked and every identifier that is not a
table, a column of the snapshot or a DuckDB function renamed (`_1`, `_2`, ...), rendered
back to SQL by DuckDB (`json_deserialize_sql`). Comments never reach the tree. A last pass
blanks any run of four digits or more and any quoted text, whatever field it hid in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import duckdb

# Fields of the tree that hold a name the caller wrote.
_NAMES = frozenset(
    {
        "alias",
        "table_name",
        "relation_name",
        "function_name",
        "type_name",
        "collation",
        "name",
        "schema",
        "catalog",
        "schema_name",
        "catalog_name",
    }
)
_NAME_LISTS = frozenset({"column_names", "exclude_list", "aliases", "column_name_alias", "path", "key_targets"})
_ENUM = re.compile(r"[A-Z][A-Z0-9_]*")


class SqlRefused(ValueError):
    """The query is not one the service runs; `reason` says why without quoting it."""

    def __init__(self, reason: str, shape: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.shape = shape


@dataclass
class Checked:
    shape: str
    tables: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _functions() -> frozenset[str]:
    con = duckdb.connect()
    names = {r[0].lower() for r in con.execute("SELECT DISTINCT function_name FROM duckdb_functions()").fetchall()}
    types = {r[0].lower() for r in con.execute("SELECT DISTINCT type_name FROM duckdb_types()").fetchall()}
    return frozenset(names | types | {"list_value", "struct_pack", "nocase", "noaccent"})


def _tree(sql: str) -> dict:
    out = duckdb.connect().execute("SELECT json_serialize_sql($q)", {"q": sql}).fetchone()
    tree = json.loads(out[0]) if out else {"error": True}
    if tree.get("error"):
        raise SqlRefused("only a SELECT over the snapshot's tables is run")
    return tree


def _walk(node, visit) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _ctes(tree: dict) -> set[str]:
    names: set[str] = set()

    def visit(node: dict) -> None:
        for entry in node.get("cte_map", {}).get("map", []) if isinstance(node.get("cte_map"), dict) else []:
            names.add(entry["key"].lower())

    _walk(tree, visit)
    return names


def _check_sources(tree: dict, tables: set[str]) -> list[str]:
    ctes, used, wrong = _ctes(tree), set(), []

    def visit(node: dict) -> None:
        kind = node.get("type")
        if kind == "TABLE_FUNCTION":
            wrong.append("a table function")
        elif kind == "BASE_TABLE":
            name = node.get("table_name", "").lower()
            if node.get("schema_name") or node.get("catalog_name"):
                wrong.append("a table of another schema or catalog")
            elif node.get("at_clause"):
                wrong.append("AT (time travel: choose the snapshot instead)")
            elif name in tables:
                used.add(name)
            elif name not in ctes:
                wrong.append("a table that is not one of the snapshot's")

    _walk(tree, visit)
    if wrong:
        raise SqlRefused(f"the query reads {wrong[0]}; it may read {', '.join(sorted(tables))}")
    return sorted(used)


def _blank(tree: dict, keep: set[str]) -> dict:
    """Literals to '?', the caller's own names to _1, _2, ... (the same name the same way)."""
    renamed: dict[str, str] = {}

    def name(value: str) -> str:
        if not value or value.lower() in keep or value.lower() in _functions():
            return value
        return renamed.setdefault(value.lower(), f"_{len(renamed) + 1}")

    def visit(node: dict) -> None:
        if isinstance(node.get("literal"), dict):
            node["literal"] = {"kind": "STRING", "text": "?"}
        for key, value in list(node.items()):
            if key in _NAMES and isinstance(value, str):
                node[key] = name(value)
            elif key in _NAME_LISTS and isinstance(value, list):
                node[key] = [name(v) if isinstance(v, str) else v for v in value]
            elif key == "key" and isinstance(value, str):  # a CTE's name, a REPLACE's column
                node[key] = name(value)
            elif isinstance(value, str) and value and not _ENUM.fullmatch(value):
                node[key] = "_"  # a field this code does not know: nothing the caller wrote passes

    _walk(tree, visit)
    return tree


def _render(tree: dict) -> str:
    out = duckdb.connect().execute("SELECT json_deserialize_sql($t::JSON)", {"t": json.dumps(tree)}).fetchone()
    shape = out[0] if out else ""
    # The net under the tree: no digits a NIK is made of, no quoted text, whatever field held them.
    return re.sub(r"\d{4,}", "?", re.sub(r"'(?:[^']|'')*'", "'?'", shape))


def shape_of(sql: str, columns: Iterable[str], tables: Iterable[str]) -> str | None:
    """The audit's form of a query (None when DuckDB cannot parse it)."""
    try:
        tree = _tree(sql)
    except (SqlRefused, duckdb.Error):
        return None
    return _render(_blank(tree, {c.lower() for c in columns} | {t.lower() for t in tables}))


def check(sql: str, tables: Iterable[str], columns: Iterable[str]) -> Checked:
    """`sql` as the service may run it, with its shape; SqlRefused (with the shape when
    there is one) when it may not run."""
    tables, columns = {t.lower() for t in tables}, list(columns)
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error:
        raise SqlRefused("the query does not parse") from None
    kinds = "; ".join(s.type.name for s in statements)  # the shape of what is refused unparsed
    if len(statements) != 1:
        raise SqlRefused(f"one statement per request ({len(statements)} given)", kinds or None)
    if statements[0].type != duckdb.StatementType.SELECT:
        raise SqlRefused(f"only SELECT (or WITH ... SELECT) is run, not {kinds}", kinds)
    tree = _tree(sql)
    shape = _render(_blank(json.loads(json.dumps(tree)), set(columns) | tables))
    try:
        used = _check_sources(tree, tables)
    except SqlRefused as e:
        raise SqlRefused(e.reason, shape) from None
    return Checked(shape, used)
