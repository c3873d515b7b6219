"""Masking of personal data (NIK, KK, names, dates of birth) for anything an operator sees.

The same masks exist as DuckDB macros (`transforms/standardize/sql/macros.sql`) for the
quarantine; tests check that both give the same result.
"""

from __future__ import annotations

import re
from typing import overload

_DIGIT = re.compile(r"[0-9]")
_WORD_TAIL = re.compile(r"(\w)\w*")


@overload
def mask_nik(value: str) -> str: ...
@overload
def mask_nik(value: None) -> None: ...
@overload
def mask_nik(value: str | None) -> str | None: ...
def mask_nik(value: str | None) -> str | None:
    """Keep the first 6 characters (the region of registration), star every later digit."""
    if value is None:
        return None
    value = value.strip(" ")  # as DuckDB trim(): spaces only
    return value[:6] + _DIGIT.sub("*", value[6:])


def mask_name(value: str | None) -> str | None:
    """Keep each word's initial: 'SITI AMINAH' -> 'S*** A***'."""
    if value is None:
        return None
    return _WORD_TAIL.sub(r"\1***", value)


def mask_date(value: str | None) -> str | None:
    """Keep the shape of a date, not its digits: '31-02-1980' -> '##-##-####'."""
    if value is None:
        return None
    return _DIGIT.sub("#", value)


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_DATE_LIKE = re.compile(r"\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b")
_LONG_NUMBER = re.compile(r"\d{6,}")
_QUOTES_INPUT = re.compile(r"\b(?:Input|LINE \d+)\s*:|\n")


def scrub_engine_message(text: str) -> str:
    """An engine's error message (DuckDB, pyarrow) as it may be shown: engines quote the
    value they could not read, and that value may be a NIK, a name or a birth date. Keep
    what went wrong, not what it went wrong on: the first line, before any echoed input,
    every quoted value, date and long number blanked."""
    first = _QUOTES_INPUT.split(text.strip(), maxsplit=1)[0]
    first = _QUOTED.sub("'…'", first)
    first = _DATE_LIKE.sub("#-#-#", first)
    return _LONG_NUMBER.sub(lambda m: "#" * len(m.group()), first)[:300]
