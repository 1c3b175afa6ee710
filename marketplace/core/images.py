"""The one image pipeline: check, orient, strip metadata, resize, compress, store.

Phones embed the farm's GPS position in EXIF; nothing of the original file's
metadata survives here. Content decides what a file is, never its name.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace.core.errors import DomainError
from marketplace.core.storage import Storage

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000  # ~ a 48-megapixel phone photo is refused; 40 MP is more than any cheap phone takes
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO", "HEIF", "GIF"}
THUMB_EDGE = 320
DISPLAY_EDGE = 960
MAX_VARIANT_BYTES = 80 * 1024


@dataclass(frozen=True)
class Variant:
    key: str
    width: int
    height: int
    size: int


@dataclass(frozen=True)
class ProcessedImage:
    thumb: Variant
    display: Variant


def _open_checked(data: bytes) -> Image.Image:
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(_l("This photo is larger than 15 MB. Take it again at a lower size."), field="photos")
    if not data:
        raise DomainError(_l("This file is empty."), field="photos")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; treat the warning as the error it is.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            probe.verify()  # checks the file's structure without decoding all pixels
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise DomainError(_l("This file is not a photo we can use. Send a JPEG, PNG or WebP picture."), field="photos")
            if image.width * image.height > MAX_PIXELS:
                raise DomainError(_l("This picture has too many pixels to process. Send a smaller photo."), field="photos")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError(_l("This picture has too many pixels to process. Send a smaller photo."), field="photos") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError(_l("This file is not a photo we can use. Send a JPEG, PNG or WebP picture."), field="photos") from None
    return image


def _encode_under_budget(image: Image.Image) -> bytes:
    """WebP at falling quality until it fits the budget (a 3G page must stay light)."""
    for quality in (80, 70, 60, 50, 40, 30):
        buffer = io.BytesIO()
        image.save(buffer, "WEBP", quality=quality, method=4)
        if buffer.tell() <= MAX_VARIANT_BYTES:
            return buffer.getvalue()
    smaller = image.copy()
    smaller.thumbnail((image.width * 3 // 4, image.height * 3 // 4))
    return _encode_under_budget(smaller)


def _variant(image: Image.Image, edge: int, storage: Storage) -> Variant:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    data = _encode_under_budget(copy)
    with Image.open(io.BytesIO(data)) as encoded:
        width, height = encoded.size
    return Variant(storage.save(data, "webp"), width, height, len(data))


def check_photo(data: bytes) -> None:
    """Refuse what the pipeline would refuse, with the same reason, without making any size."""
    _open_checked(data).close()


def process_photo(data: bytes, storage: Storage) -> ProcessedImage:
    image = _open_checked(data)
    image = ImageOps.exif_transpose(image)  # turn it the way the phone was held, then forget EXIF
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "transparency" in image.info or image.mode in ("LA", "PA") else "RGB")
    # A fresh image carries pixels only: no EXIF, GPS, XMP, ICC or comments reach the output.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return ProcessedImage(thumb=_variant(clean, THUMB_EDGE, storage), display=_variant(clean, DISPLAY_EDGE, storage))


DOCUMENT_EDGE = 2000  # a photographed form or ID stays readable; a 12 MP original is 4 MB more than it needs


def process_document_photo(data: bytes) -> tuple[bytes, str]:
    """A photo of a document, attached to an application: checked like any photo, turned upright,
    stripped of every metadata, downscaled to DOCUMENT_EDGE, saved as JPEG (PNG if transparent).
    Returns (bytes, extension)."""
    image = ImageOps.exif_transpose(_open_checked(data))
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if transparent else "RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    clean.thumbnail((DOCUMENT_EDGE, DOCUMENT_EDGE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if transparent:
        clean.save(buffer, "PNG", optimize=True)
        return buffer.getvalue(), "png"
    clean.save(buffer, "JPEG", quality=85, optimize=True)
    return buffer.getvalue(), "jpg"
