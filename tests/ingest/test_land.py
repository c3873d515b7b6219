"""Landing: checksummed, immutable, recognised when the same delivery comes again."""

from __future__ import annotations

import hashlib

import pytest

from transforms.errors import DeliveryError
from transforms.ingest.land import CHECKSUMS, land_delivery, verify_landed


def test_land_copies_with_checksums(delivery, tmp_path):
    landed = land_delivery(delivery, tmp_path / "landed")
    assert not landed.reused and landed.cutoff.isoformat() == delivery.name
    assert len(landed.files) == 10 and (landed.path / CHECKSUMS).exists()
    for rel, meta in landed.files.items():
        data = (delivery / rel).read_bytes()
        assert meta == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        assert (landed.path / rel).read_bytes() == data
        assert (landed.path / rel).stat().st_mode & 0o222 == 0  # read-only
    assert verify_landed(landed) == []


def test_same_delivery_is_recognised(delivery, tmp_path):
    first = land_delivery(delivery, tmp_path / "landed")
    again = land_delivery(delivery, tmp_path / "landed")
    assert again.reused and again.path == first.path and again.fingerprint == first.fingerprint
    assert len(list((tmp_path / "landed" / delivery.name).iterdir())) == 1


def test_changed_delivery_lands_anew(delivery, tmp_path):
    first = land_delivery(delivery, tmp_path / "landed")
    with (delivery / "usulan/usulan.jsonl").open("a") as f:
        f.write('{"id_usulan": "USL9"}\n')
    second = land_delivery(delivery, tmp_path / "landed")
    assert not second.reused and second.fingerprint != first.fingerprint
    assert (first.path / CHECKSUMS).exists()  # the earlier landing is untouched


def test_tampering_is_detected(delivery, tmp_path):
    landed = land_delivery(delivery, tmp_path / "landed")
    target = landed.path / "usulan/usulan.jsonl"
    target.chmod(0o644)
    target.write_text("{}\n")
    assert verify_landed(landed) == ["usulan/usulan.jsonl"]


def test_missing_file_is_a_clear_error(delivery, tmp_path):
    (delivery / "p3ke/p3ke_anggota.csv").unlink()
    with pytest.raises(DeliveryError, match=r"p3ke_anggota\.csv: file is missing"):
        land_delivery(delivery, tmp_path / "landed")
    assert not any((tmp_path / "landed").rglob("checksums.json"))


def test_folder_must_be_named_by_cutoff(delivery, tmp_path):
    renamed = delivery.rename(delivery.parent / "latest")
    with pytest.raises(DeliveryError, match="cut-off date"):
        land_delivery(renamed, tmp_path / "landed")


def test_a_file_delivered_twice_is_refused_naming_both(delivery, tmp_path):
    import shutil

    shutil.copy(delivery / "dtks/dtks_32.csv", delivery / "dtks/dtks_33.csv")
    with pytest.raises(DeliveryError, match=r"dtks_33\.csv: has the same content as dtks/dtks_32\.csv"):
        land_delivery(delivery, tmp_path / "landed")
    assert not list((tmp_path / "landed").rglob("*.csv"))  # nothing half-landed


def test_a_dtks_file_not_named_by_its_province_is_refused(delivery, tmp_path):
    (delivery / "dtks/dtks_32.csv").rename(delivery / "dtks/dtks_32 (1).csv")
    with pytest.raises(DeliveryError, match="not a province file name"):
        land_delivery(delivery, tmp_path / "landed")


def test_header_only_province_files_are_not_copies_of_each_other(delivery, tmp_path):
    header = (delivery / "dtks/dtks_32.csv").read_bytes().split(b"\n")[0] + b"\n"
    for pp in ("51", "52"):
        (delivery / f"dtks/dtks_{pp}.csv").write_bytes(header)
    assert land_delivery(delivery, tmp_path / "landed").files  # the quality gate judges empty files


def test_a_full_disk_is_named_and_leaves_no_half_copy(delivery, tmp_path, monkeypatch):
    import errno

    from transforms.errors import DiskFull
    from transforms.ingest import land

    copied = []
    real = land._copy_with_sha256

    def copy_until_full(src, dst):
        if len(copied) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        copied.append(src)
        return real(src, dst)

    monkeypatch.setattr(land, "_copy_with_sha256", copy_until_full)
    with pytest.raises(DiskFull, match="no space left to land the delivery"):
        land_delivery(delivery, tmp_path / "landed")
    assert not list((tmp_path / "landed").rglob(".staging-*")) and not list((tmp_path / "landed").rglob("*.csv"))
