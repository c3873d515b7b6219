"""The syllabifier: (C)V(C), NG/NY/KH/SY one consonant, onset clusters, final diphthongs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.names.suku_kata import suku_kata


@pytest.mark.parametrize(
    "kata, suku",
    [
        ("RAHMAWATI", ("RAH", "MA", "WA", "TI")),
        ("SUPRIYADI", ("SU", "PRI", "YA", "DI")),
        ("SLAMET", ("SLA", "MET")),
        ("HENDRAWAN", ("HEN", "DRA", "WAN")),
        ("AGUSTINA", ("A", "GUS", "TI", "NA")),
        ("BAMBANG", ("BAM", "BANG")),
        ("ANGGA", ("ANG", "GA")),
        ("NYOMAN", ("NYO", "MAN")),
        ("SYAHRIR", ("SYAH", "RIR")),
        ("KHAIRUL", ("KHA", "I", "RUL")),
        ("PANDAI", ("PAN", "DAI")),
        ("SUTRISNO", ("SU", "TRIS", "NO")),
        ("BUDI", ("BU", "DI")),
        ("SRI", ("SRI",)),
    ],
)
def test_syllables(kata, suku):
    assert suku_kata(kata) == suku


@given(st.text(alphabet="ABDGHIKLMNOPRSTUWY", min_size=1, max_size=12))
def test_syllables_join_back_to_the_word(kata):
    assert "".join(suku_kata(kata)) == kata
