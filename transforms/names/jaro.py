"""Jaro-Winkler similarity as DuckDB's `jaro_winkler_similarity`: prefix scale 0.1, up to 4 letters, above 0.7."""

from __future__ import annotations


def jaro(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    used = [False] * len(b)
    ma: list[str] = []
    for i, c in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not used[j] and b[j] == c:
                used[j] = True
                ma.append(c)
                break
    if not ma:
        return 0.0
    mb = [b[j] for j in range(len(b)) if used[j]]
    t = sum(x != y for x, y in zip(ma, mb)) / 2
    m = len(ma)
    return (m / len(a) + m / len(b) + (m - t) / m) / 3


def jaro_winkler(a: str, b: str) -> float:
    j = jaro(a, b)
    if j <= 0.7:  # the prefix counts only for names already alike (as DuckDB and rapidfuzz do)
        return j
    prefix = 0
    for x, y in zip(a[:4], b[:4]):
        if x != y:
            break
        prefix += 1
    return j + prefix * 0.1 * (1 - j)
