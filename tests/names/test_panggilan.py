"""The nickname rule: tails, doubled tails, heads; minimum length and syllable boundaries."""

from __future__ import annotations

import pytest

from transforms.names.panggilan import bentuk_panggilan, panggilan_dari


@pytest.mark.parametrize(
    "panggilan, kata",
    [
        ("WATI", "RAHMAWATI"),  # last two syllables
        ("YADI", "SUPRIYADI"),
        ("MEMET", "SLAMET"),  # last syllable doubled
        ("DIDI", "SUPRIYADI"),
        ("WAWAN", "HERMAWAN"),
        ("HENDRA", "HENDRAWAN"),  # first syllables
        ("AGUS", "AGUSTINA"),
        ("TINA", "AGUSTINA"),
        ("IFUL", "SAIFUL"),
        ("ANI", "ANITA"),  # a head
        ("MIT", "MITRA"),  # a head closed by the next syllable's cluster (MI-TRA said MIT-RA)
        ("EDI", "JUNAEDI"),  # a vowel-initial tail of two syllables
        ("ANA", "DIANA"),
        ("INI", "NURAINI"),
        ("RIRI", "PUTRI"),  # a cluster's second consonant doubled
        ("NJINJI", "PANJI"),  # NJ read as the old NY: PA-NJI, doubled
        ("NJANI", "UNJANI"),
        ("JANI", "UNJANI"),  # and as the modern N+J: UN-JA-NI
        ("AINI", "NURAINI"),  # a fused Arabic first part
        ("HAYATI", "NURHAYATI"),
        ("RISNO", "SUTRISNO"),  # a tail inside a cluster (SU-TRIS-NO said SUT-RIS-NO)
        ("RULLAH", "NASRULLAH"),
        ("LIJAN", "ASLIJAN"),
    ],
)
def test_nickname(panggilan, kata):
    assert panggilan_dari(panggilan, kata)


@pytest.mark.parametrize(
    "panggilan, kata",
    [
        ("DI", "SUPRIYADI"),  # too short
        ("TI", "SITI"),
        ("ADI", "SUPRIYADI"),  # not on a syllable boundary (YA-DI)
        ("ANI", "MULYANI"),  # MUL-YA-NI: NI, YANI
        ("ANI", "SUMARNI"),
        ("ANI", "RAHMANI"),
        ("IN", "NURAINI"),  # a vowel-initial tail of one syllable (and too short)
        ("AN", "HERMAWAN"),
        ("ANG", "BAMBANG"),  # one syllable without an onset
        ("ANI", "NURANI"),  # what follows a fused first part must be four letters or more (NU-RA-NI)
        ("YAYADI", "SUPRIYADI"),  # only a one-syllable tail is doubled
        ("SLAMET", "SLAMET"),  # a word is not its own nickname
        ("BUDI", "BAMBANG"),
        ("WATI", "RAHMAWATY"),  # the rule works on normalised words, not on spelling variants
    ],
)
def test_not_a_nickname(panggilan, kata):
    assert not panggilan_dari(panggilan, kata)


def test_nicknames_are_at_least_three_letters():
    for kata in ("SUPRIYADI", "SITI", "RAHMAWATI", "AGUSTINA", "ADI", "EKO"):
        assert all(len(p) >= 3 for p in bentuk_panggilan(kata))
