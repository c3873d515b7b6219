"""Who sees what: the full tables for agencies that pay named people, the analyst tables
(published beside them as `analis_<table>`) for everyone else.

The analyst tables replace every identifier that leads back to a person or to a source row
by a keyed HMAC-SHA256 token: NIK and KK numbers, source record and household ids, proposal
ids (also where a reason names the entry that superseded one), and drop names, dates of
birth, the partial NIK of a defect and a quarantined row's line number. The same value gets
the same token in every table and every snapshot, which is what lets a ministry follow a
family from month to month, and what makes a token as good as the NIK for linking: a list
of tokens joined to other data about the same families is personal data again.

The key is the operator's: `DTSEN_PSEUDONYM_KEY`, or the key file the first publish makes
(`<home>/rahasia/pseudonim.key`, readable by its owner only). Analysts never hold it (they
read through `dtsen serve`), so tokens cannot be reversed by trying NIKs. A key shorter than
32 bytes is refused, and so is a publish with another key than the one the analyst tables
were made with (`dtsen.kunci_id` on each table): the tokens would silently change. HMAC is
computed by DuckDB itself (RFC 2104 from sha256 and the two padded keys, which reach SQL as
parameters), so pseudonymising costs a scan.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pyarrow as pa

from dtsen.settings import Settings
from warehouse.catalog import ANALYST_PREFIX

MIN_KEY_BYTES = 32
KEY_PROPERTY = "dtsen.kunci_id"


class Akses(str, enum.Enum):
    analis = "analis"  # pseudonymised
    penuh = "penuh"  # full view


class AccessError(PermissionError):
    """The requested view cannot be given."""


# Per table: identifier columns turned into tokens (`token_<column>`), identifiers inside a
# list of structs (the field keeps its place, renamed `token_<field>`), reasons of the form
# `WORD:<id_usulan>` whose id is tokenised, and columns dropped.
TOKEN = {
    "keluarga": ("no_kk", "nik_kepala_keluarga"),
    "individu": ("nik", "no_kk"),
    "tautan_sumber": ("nik", "id_sumber"),  # a source record id: some sources build it from a NIK
    "verifikasi": ("id_sumber",),
    "karantina": ("id_sumber",),
    "usulan": ("id_usulan", "no_kk"),
}
TOKEN_IN_LIST = {
    "keluarga": {"rumah_tangga_sumber": "id_keluarga_sumber", "keputusan": "id_usulan"},
}
TOKEN_AFTER_COLON = {
    "usulan": ("keterangan", "berakhir"),
    "verifikasi": ("alasan",),
}
DROP = {
    "individu": ("nama", "tgl_lahir"),
    "verifikasi": ("nik_cacat",),  # masked already; a partial NIK still narrows a person down
    "karantina": ("baris",),  # with the file, the exact line of the delivery
}


def analyst_table(table: str) -> str:
    return f"{ANALYST_PREFIX}{table}"


def key_file(settings: Settings) -> Path:
    return settings.home_dir / "rahasia" / "pseudonim.key"


def pseudonym_key(settings: Settings, create: bool = False) -> bytes:
    """The operator's key: DTSEN_PSEUDONYM_KEY, else the key file (made here when `create`)."""
    if settings.pseudonym_key is not None:
        key = settings.pseudonym_key.get_secret_value().strip().encode()
        if len(key) < MIN_KEY_BYTES:
            raise AccessError(
                f"DTSEN_PSEUDONYM_KEY is shorter than {MIN_KEY_BYTES} bytes: a short key lets tokens be guessed. "
                "Make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return key
    path = key_file(settings)
    if not path.exists() and create:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another publish made it first: read theirs
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48) + "\n")
    if not path.exists():
        raise AccessError(
            f"no pseudonymisation key: set DTSEN_PSEUDONYM_KEY or keep the key file {path} (the first publish makes it)"
        )
    key = path.read_bytes().strip()
    if len(key) < MIN_KEY_BYTES:
        raise AccessError(f"the key file {path} holds fewer than {MIN_KEY_BYTES} bytes")
    return key


def key_id(key: bytes) -> str:
    """Which key made a table, without telling anything of the key."""
    return hmac.new(key, b"dtsen-kunci-pseudonim", hashlib.sha256).hexdigest()[:16]


def key_pads(key: bytes) -> dict[str, bytes]:
    """The inner and outer padded keys of RFC 2104, as DuckDB parameters."""
    key = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    return {"hmac_ipad": bytes(b ^ 0x36 for b in key), "hmac_opad": bytes(b ^ 0x5C for b in key)}


def token_sql(expr: str) -> str:
    """HMAC-SHA256(key, value) in hex; needs the parameters from `key_pads`."""
    return f"sha256($hmac_opad || unhex(sha256($hmac_ipad || encode({expr}))))"


def token(value: str, key: bytes) -> str:
    """The same token in Python (to find a person by NIK in the analyst tables)."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _in_list(column: str, field_type: pa.DataType, tokenised: str) -> str:
    struct = field_type.value_type
    fields = [
        f"token_{f.name} := {token_sql(f'x.{f.name}')}" if f.name == tokenised else f"{f.name} := x.{f.name}"
        for f in struct
    ]
    return f"list_transform({column}, lambda x: struct_pack({', '.join(fields)})) AS {column}"


def _after_colon(column: str) -> str:
    at = f"strpos({column}, ':')"
    return (
        f"CASE WHEN {at} > 0 THEN {column}[:{at}] || {token_sql(f'{column}[{at} + 1:]')} ELSE {column} END AS {column}"
    )


def analyst_select(table: str, schema: pa.Schema, source: str) -> str:
    """The analyst projection of one table over `source`; needs `key_pads`' parameters."""
    parts = []
    for f in schema:
        c = f.name
        if c in DROP.get(table, ()):
            continue
        if c in TOKEN[table]:
            parts.append(f"{token_sql(c)} AS token_{c}")
        elif c in TOKEN_IN_LIST.get(table, {}):
            parts.append(_in_list(c, f.type, TOKEN_IN_LIST[table][c]))
        elif c in TOKEN_AFTER_COLON.get(table, ()):
            parts.append(_after_colon(c))
        else:
            parts.append(c)
    return f"SELECT {', '.join(parts)} FROM {source}"
