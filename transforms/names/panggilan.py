"""Nicknames (nama panggilan) as a rule, not a list.

A nickname is formed from a name's syllables:
- its last k syllables (RAHMAWATI -> WATI, SUPRIYADI -> YADI);
- its last syllable doubled the Javanese way, the onset and vowel said twice
  (SLAMET -> MET -> MEMET, SUPRIYADI -> DI -> DIDI, HERMAWAN -> WAN -> WAWAN); only a one-syllable tail
  is doubled (YADI stays YADI);
- a tail that starts inside a cluster, the cluster split (SUTRISNO -> RISNO, NASRULLAH -> RULLAH);
- a cluster-initial last syllable doubled from its second consonant (PUTRI -> RIRI);
- a name read in the old spelling, NJ for NY (PANJI -> NJINJI, UNJANI -> NJANI), as well as the
  modern N+J;
- what follows an Arabic first part written fused to it (NURAINI -> AINI, NURHAYATI -> HAYATI);
- its first k syllables (HENDRAWAN -> HENDRA, AGUSTINA -> AGUS, BAMBANG -> BAM), the last one
  closed by the next one's first consonant where that starts a cluster (MI-TRA -> MIT).

What keeps it from matching everything:
- the nickname is at least `MIN_HURUF` (3) letters: DI of SUPRIYADI, TI of SITI are too short
  (their doubled forms DIDI, TITI are long enough);
- it must end (heads) or start (tails) on a syllable boundary: ANI is not a tail of MULYANI
  (MUL-YA-NI gives NI, YANI) nor of SUMARNI (SU-MAR-NI); it is a head of ANITA (A-NI-TA);
- it is a proper part: a word is not its own nickname (that is SAMA);
- a vowel-initial tail must have at least two syllables, so that a single syllable without an
  onset (the -IN, -AN of many names) is not a nickname of every such name; two are common
  (JUNAEDI -> EDI, DIANA -> ANA, NURAINI -> INI).
"""

from __future__ import annotations

from functools import lru_cache

from transforms.names.suku_kata import DIGRAF, GUGUS, VOKAL, suku_kata

MIN_HURUF = 3
# First parts of Arabic-origin names that are written fused to the next (NURAINI = NUR AINI).
AWALAN = ("NUR", "ABDUL", "ABDUR", "SITI")


def _onset_vokal(suku: str) -> str:
    """The consonants and first vowel of a syllable: MET -> ME, DI -> DI, KHAN -> KHA, AN -> ''."""
    for i, c in enumerate(suku):
        if c in VOKAL:
            return suku[: i + 1] if i > 0 else ""
    return ""


def _dari_suku(s: tuple[str, ...], kata: str) -> set[str]:
    """The nicknames of one syllabification of a word."""
    out: set[str] = set()
    for k in range(1, len(s)):
        tail = "".join(s[-k:])
        if tail[0] not in VOKAL or k >= 2:
            out.add(tail)
        if s[-k][:2] in GUGUS:  # SU-TRIS-NO is said SUT-RIS-NO too: RISNO
            out.add(tail[1:])
        head = "".join(s[:k])
        out.add(head)
        if s[k][:2] in GUGUS:  # MI-TRA: said MIT-RA too, so MIT is a head
            out.add(head + s[k][0])
    if len(s) >= 2:
        ov = _onset_vokal(s[-1])
        if ov:
            out.add(ov + s[-1])
            if ov[:2] in GUGUS:  # PU-TRI: a child says RI-RI
                out.add(ov[1:] * 2)
    return out


@lru_cache(maxsize=1 << 18)  # bounded: a province has millions of distinct names
def bentuk_panggilan(kata: str) -> frozenset[str]:
    """Every nickname the rule forms from one word."""
    out = _dari_suku(suku_kata(kata), kata)
    if "NJ" in kata:  # PANJI or the old spelling of PANYI: both readings
        out |= _dari_suku(suku_kata(kata, DIGRAF + ("NJ",)), kata)
    for awal in AWALAN:  # NURAINI, NURHAYATI: the Arabic first part fused, the rest said alone
        if kata.startswith(awal) and len(kata) - len(awal) >= 4:
            out.add(kata[len(awal) :])
    return frozenset(p for p in out if len(p) >= MIN_HURUF and p != kata)


def panggilan_dari(panggilan: str, kata: str) -> bool:
    """True when `panggilan` is a nickname the rule forms from `kata`."""
    return panggilan in bentuk_panggilan(kata)


def salah_satu_panggilan(a: str, b: str) -> bool:
    """Either word is a nickname of the other."""
    return panggilan_dari(a, b) or panggilan_dari(b, a)
