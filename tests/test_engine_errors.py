"""An engine's error leaves a stage with what went wrong, never the value it stopped on."""

from __future__ import annotations

import duckdb
import pytest

from dtsen.privacy import scrub_engine_message
from flows.tugas import plain_delivery_errors
from transforms.errors import EngineError

NIK, NAME = "3201054502850002", "SITI AMINAH"


def test_an_engine_error_quoting_a_row_leaves_without_it():
    @plain_delivery_errors
    def stage():
        con = duckdb.connect()
        con.execute(f"""SELECT CAST('{{"nik": "{NIK}", "nama": "{NAME}"}}' AS JSON)::INTEGER""")

    with pytest.raises(EngineError) as e:
        stage()
    message = str(e.value)
    assert message.startswith("stage: ConversionException") and NIK not in message and "AMINAH" not in message
    assert e.value.__context__ is None and e.value.__cause__ is None  # the engine's own error is gone


@pytest.mark.parametrize(
    "text",
    [
        f"Conversion Error: Could not convert string '{NAME}' to INT32",
        f'Invalid Input Error: Malformed JSON at byte 0 of input: unexpected.  Input: {{"nik": "{NIK}"}}',
        f"Invalid Input Error: NIK {NIK} born 1985-02-05\nLINE 1: SELECT '{NAME}'",
        f'Binder Error: column "{NAME}" not found',
    ],
)
def test_scrubbed_messages_keep_no_personal_value(text):
    shown = scrub_engine_message(text)
    assert shown and NIK not in shown and "AMINAH" not in shown and "1985" not in shown
