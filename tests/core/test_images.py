"""The image pipeline, on images made in the test."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from marketplace.core.errors import DomainError
from marketplace.core.images import MAX_UPLOAD_BYTES, MAX_VARIANT_BYTES, process_photo
from marketplace.core.storage import LocalStorage
from tests import factories


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path)


def _exif_with_gps_and_orientation(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "S", 2: (0.0, 17.0, 30.0), 3: "E", 4: (36.0, 4.0, 12.0)}  # a farm near Njoro
    exif[0x8825] = gps
    return exif


def _open(storage: LocalStorage, key: str) -> Image.Image:
    return Image.open(io.BytesIO(storage.open(key)))


def test_gps_and_all_exif_are_removed(storage):
    original = factories.photo_bytes(exif=_exif_with_gps_and_orientation())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test image really carries GPS
    result = process_photo(original, storage)
    for variant in (result.thumb, result.display):
        image = _open(storage, variant.key)
        assert not image.getexif() and "exif" not in image.info and "xmp" not in image.info
        assert b"PhoneMaker" not in storage.open(variant.key)


def test_orientation_is_applied_before_exif_is_dropped(storage):
    # A landscape sensor image that the phone says was held upright (rotate 90°).
    result = process_photo(factories.photo_bytes(1200, 600, exif=_exif_with_gps_and_orientation(6)), storage)
    assert result.display.height > result.display.width
    assert (result.display.width, result.display.height) == (480, 960)


def test_two_sizes_as_webp_under_the_byte_budget(storage):
    result = process_photo(factories.photo_bytes(4000, 3000), storage)
    assert max(result.thumb.width, result.thumb.height) == 320 and max(result.display.width, result.display.height) == 960
    for variant in (result.thumb, result.display):
        assert variant.size <= MAX_VARIANT_BYTES and _open(storage, variant.key).format == "WEBP"
        assert variant.key.endswith(".webp")


def test_a_noisy_photo_still_fits_the_budget(storage):
    import random

    rng = random.Random(7)
    noise = Image.frombytes("RGB", (2000, 1500), bytes(rng.getrandbits(8) for _ in range(2000 * 1500 * 3)))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    result = process_photo(buffer.getvalue(), storage)
    assert result.display.size <= MAX_VARIANT_BYTES


def test_png_with_transparency_and_small_images_are_kept_small(storage):
    image = Image.new("RGBA", (200, 100), (10, 200, 10, 128))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    result = process_photo(buffer.getvalue(), storage)
    assert (result.display.width, result.display.height) == (200, 100)  # never enlarged


def test_a_file_over_15_mb_is_refused_before_it_is_decoded(storage):
    with pytest.raises(DomainError) as caught:
        process_photo(b"\xff\xd8" + b"0" * MAX_UPLOAD_BYTES, storage)
    assert "15 MB" in str(caught.value)


def test_a_decompression_bomb_is_refused(storage):
    bomb = Image.new("1", (20000, 20000))  # 400 million pixels in a few kilobytes
    buffer = io.BytesIO()
    bomb.save(buffer, "PNG")
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(DomainError) as caught:
        process_photo(buffer.getvalue(), storage)
    assert "too many pixels" in str(caught.value)


@pytest.mark.parametrize("data", [b"%PDF-1.4 not a photo", b"GIF89a-truncated", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b""],
                         ids=["pdf", "broken-gif", "svg", "empty"])
def test_files_that_are_not_photos_are_refused_by_their_content(storage, data):
    with pytest.raises(DomainError):
        process_photo(data, storage)


def test_a_truncated_jpeg_is_refused(storage):
    with pytest.raises(DomainError):
        process_photo(factories.photo_bytes()[:5000], storage)


def test_same_photo_twice_is_stored_once_under_its_content_hash(storage, tmp_path):
    data = factories.photo_bytes()
    first, second = process_photo(data, storage), process_photo(data, storage)
    assert first.display.key == second.display.key
    assert len(list(tmp_path.rglob("*.webp"))) == 2
