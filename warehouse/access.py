"""Who sees what: the full view for authorised operators, a pseudonymised one for analysts.

The analyst view replaces NIK and KK numbers by keyed HMAC-SHA256 tokens (the same person
gets the same token in every table and snapshot, so joins and diffs still work) and drops
names and dates of birth. The key comes from the settings (`DTSEN_PSEUDONYM_KEY`) and is
never written to the warehouse. HMAC is computed by DuckDB itself (RFC 2104 from sha256 and
the two padded keys, which reach SQL as parameters), so pseudonymising costs a scan.
"""

from __future__ import annotations

import enum
import hashlib
import hmac

from dtsen.settings import Settings


class Akses(str, enum.Enum):
    analis = "analis"  # pseudonymised
    penuh = "penuh"  # full view, authorised operators


class AccessError(PermissionError):
    """The requested view cannot be given."""


# Per table: identifier columns turned into tokens, personal columns dropped. A source
# record id is tokenised too: some sources build it from a NIK or a KK.
TOKEN = {
    "keluarga": ("no_kk", "nik_kepala_keluarga"),
    "individu": ("nik", "no_kk"),
    "tautan_sumber": ("nik", "id_sumber"),
    "verifikasi": ("id_sumber",),
    "karantina": ("id_sumber",),
    "usulan": ("no_kk",),
}
DROP = {
    "individu": ("nama", "tgl_lahir"),
    "verifikasi": ("nik_cacat",),  # masked already; a partial NIK still narrows a person down
}


def _key(settings: Settings) -> bytes:
    if settings.pseudonym_key is None:
        raise AccessError(
            "the analyst view needs a pseudonymisation key: set DTSEN_PSEUDONYM_KEY "
            "(or use --akses penuh if you are an authorised operator)"
        )
    return settings.pseudonym_key.get_secret_value().encode()


def key_pads(settings: Settings) -> dict[str, bytes]:
    """The inner and outer padded keys of RFC 2104, as DuckDB parameters."""
    key = _key(settings)
    key = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    return {"hmac_ipad": bytes(b ^ 0x36 for b in key), "hmac_opad": bytes(b ^ 0x5C for b in key)}


def token_sql(column: str) -> str:
    """HMAC-SHA256(key, value) in hex; needs the parameters from `key_pads`."""
    return f"sha256($hmac_opad || unhex(sha256($hmac_ipad || encode({column}))))"


def token(value: str, settings: Settings) -> str:
    """The same token in Python (to look a NIK up in the analyst view, and to check the SQL)."""
    return hmac.new(_key(settings), value.encode(), hashlib.sha256).hexdigest()


def analyst_select(table: str, columns: list[str], source: str) -> str:
    """The pseudonymised projection of one table."""
    parts = []
    for c in columns:
        if c in DROP.get(table, ()):
            continue
        parts.append(f"{token_sql(c)} AS token_{c}" if c in TOKEN[table] else c)
    return f"SELECT {', '.join(parts)} FROM {source}"
