"""Small DTKS province files standardized together (`dtks_groups`): a task per group."""

from __future__ import annotations

from pathlib import Path

from transforms.standardize import dtks_groups, group_label


def files(tmp_path: Path, sizes: dict[str, int]) -> list[Path]:
    out = []
    for code, size in sizes.items():
        f = tmp_path / f"dtks_{code}.csv"
        f.write_bytes(b"x" * size)
        out.append(f)
    return out


def test_small_files_are_gathered_in_code_order_until_a_group_is_large_enough(tmp_path):
    got = dtks_groups(files(tmp_path, {"11": 30, "12": 50, "13": 120, "31": 10, "32": 10, "33": 90, "94": 5}), 100)
    assert [group_label(g) for g in got] == ["dtks_11..dtks_13", "dtks_31..dtks_33", "dtks_94"]
    assert [f.name for g in got for f in g] == sorted(f.name for g in got for f in g)  # every file, once, in order


def test_a_large_file_is_a_group_alone_and_no_limit_gives_one_task_per_file(tmp_path):
    given = files(tmp_path, {"11": 500, "12": 20, "32": 700})
    assert [len(g) for g in dtks_groups(given, 100)] == [1, 2]  # 12 waits for 32 after it
    assert [len(g) for g in dtks_groups(given, 0)] == [1, 1, 1]
