"""Comparison levels on hand-made pairs, one or more per rule, and pairs that must come out BEDA."""

from __future__ import annotations

import pytest

from transforms.names import TINGKAT, banding


@pytest.mark.parametrize(
    "a, b, tingkat",
    [
        ("SITI AMINAH", "Siti  Aminah", "SAMA"),
        ("H. AHMAD SUBAGJA, S.PD", "AHMAD SUBAGJA", "GELAR_SAJA"),
        ("AHMAD SUBAGJA S.PD", "AHMAD SUBAGJA", "GELAR_SAJA"),
        ("DJOKO TJAHJONO", "JOKO CAHYONO", "VARIAN_EJAAN"),
        ("SOEHARTO", "SUHARTO", "VARIAN_EJAAN"),
        ("SJAHRIR", "SYAHRIR", "VARIAN_EJAAN"),
        ("JUSUF", "YUSUF", "VARIAN_EJAAN"),
        ("MOCH. RIZKI", "MUHAMMAD RIZKI", "VARIAN_EJAAN"),
        ("ABD. RAHMAN", "ABDUL RAHMAN", "VARIAN_EJAAN"),
        ("H. MOCH. RIZKI", "MUHAMMAD RIZKI", "VARIAN_EJAAN"),  # weakest step: the spelling
        ("SITI AMINAH", "AMINAH SITI", "URUTAN"),
        ("AHMAD BIN SALEH", "AHMAD", "TANPA_BIN"),
        ("AHMAD BIN SALEH", "AHMAD SALEH", "TANPA_BIN"),
        ("AHMAD BIN SALEH", "AHMAD BIN SHOLEH", "VARIAN_EJAAN"),
        ("AHMAD BIN SALEH", "AHMAD BIN SALEH", "SAMA"),
        ("SUPARMAN", "SUPARMAN HADI", "SUBSET"),  # a mononym among a full name's words
        ("HADI", "SUPARMAN HADI", "SUBSET"),
        ("SITI AMINAH", "SITI AMINAH RAHMAWATI", "SUBSET"),
        ("RAHMAWATI", "WATI", "PANGGILAN"),
        ("SUPRIYADI", "YADI", "PANGGILAN"),
        ("SLAMET", "MEMET", "PANGGILAN"),
        ("HENDRAWAN", "HENDRA", "PANGGILAN"),
        ("NJINJI PRAYITNA", "PANJI PRAYITNA", "PANGGILAN"),  # old NJ (NY) doubled, NJ- read as NY-
        ("AINI", "NUR'AINI", "PANGGILAN"),  # after a fused Arabic first part
        ("MUHAMMAT MARTANI NARPATI", "MUHAMMAD MARTANI NARPATI", "MIRIP"),  # a final T in no table
        ("AHMAT CAHYANTO ARDIANTO", "AHMAD CAHYANTO ARDIANTO", "MIRIP"),  # one letter in a word: JW 0.91
        ("AGUSTINA", "AGUS", "PANGGILAN"),
        ("MEMET", "SLAMET RIYADI", "PANGGILAN"),  # a mononym, nickname of one word
        ("SUHARTINI", "SUHARTINAH", "MIRIP"),
        ("SUSSANTI", "SUSANTI", "MIRIP"),  # doubled letters: no table lists them
    ],
)
def test_levels(a, b, tingkat):
    assert banding(a, b).tingkat == tingkat
    assert banding(b, a).tingkat == tingkat


@pytest.mark.parametrize(
    "a, b",
    [
        ("SITI AMINAH", "SRI WAHYUNI"),
        ("BUDI", "BAMBANG"),
        ("BUDI", "RUDI"),  # one letter apart, but short words: other names
        ("ANI", "MULYANI"),
        ("ANI", "SUMARNI"),
        ("DI", "SUPRIYADI"),
        ("AHMAD BIN SALEH", "AHMAD BIN UMAR"),  # same person's name, other fathers
        ("", "SITI AMINAH"),
        (None, "SITI AMINAH"),
    ],
)
def test_different_persons(a, b):
    assert banding(a, b).tingkat == "BEDA"


def test_reasons_never_carry_the_names():
    for a, b in [("H. AHMAD SUBAGJA", "AHMAD"), ("MEMET", "SLAMET RIYADI"), ("AHMAD BIN SALEH", "AHMAD")]:
        alasan = banding(a, b).alasan
        assert alasan and not any(w in alasan.upper() for w in ("AHMAD", "SUBAGJA", "MEMET", "SLAMET", "SALEH"))


def test_every_level_is_reachable_and_ordered():
    seen = {banding(a, b).tingkat for a, b in [("A B", "A B"), ("H. A B", "A B"), ("SOEHARTO", "SUHARTO")]}
    assert seen == {"SAMA", "GELAR_SAJA", "VARIAN_EJAAN"}
    assert banding("SITI", "SITI").peringkat < banding("SITI", "TITI").peringkat < banding("SITI", "BUDI").peringkat
    assert list(TINGKAT).index("SUBSET") < list(TINGKAT).index("PANGGILAN") < list(TINGKAT).index("MIRIP")


@pytest.mark.parametrize(
    "a, b, hanya",
    [
        ("SRI WATI", "SRI RAHMAWATI", True),  # one word a nickname, the rest the same
        ("WATI SRI", "SRI RAHMAWATI", True),  # in any order
        ("YADI", "SUPRIYADI SANTOSO", True),  # a single word, nickname of one of the other's
        ("MEMET", "SLAMET", True),
        ("YAYA", "JAYA", False),  # also the old spelling: VARIAN_EJAAN, for banding to say
        ("SRI WATI", "DEWI RAHMAWATI", False),  # two words differ
        ("SRI WATI", "SRI RAHMAWATI PUTRI", False),  # other lengths: banding decides
        ("WATI BINTI SALEH", "RAHMAWATI BINTI SALEH", False),  # the father's part: banding's rules
        ("BUDI", "BAMBANG", False),
    ],
)
def test_a_nickname_alone_is_said_without_normalising(a, b, hanya):
    """`hanya_panggilan` (the SQL's shortcut) says yes only where banding says PANGGILAN."""
    from transforms.names.banding import hanya_panggilan

    assert hanya_panggilan(a, b) is hanya and hanya_panggilan(b, a) is hanya
    if hanya:
        assert banding(a, b).tingkat == "PANGGILAN"
