"""Where media files live, behind one small interface.

Names are content hashes, so a file never changes under its name and can be
cached for a year. The local backend keeps files under the instance folder and
the app serves them at /media/<key>; an S3-compatible backend implements the
same three methods and is chosen by configuration, without touching callers.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Protocol

from flask import Blueprint, Flask, abort, current_app, send_from_directory, url_for

KEY_PATTERN = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.(webp|jpg|png|pdf)$")


class Storage(Protocol):
    def save(self, data: bytes, extension: str) -> str:
        """Store `data`; return its key ('ab/abcdef….webp'). Saving the same bytes twice is a no-op."""

    def open(self, key: str) -> bytes: ...

    def url(self, key: str) -> str: ...

    def delete(self, key: str) -> None:
        """Remove the file if it is there (deleting twice is fine)."""

    def check(self) -> None:
        """Raise unless media can be written and read now (the readiness probe)."""


def content_key(data: bytes, extension: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest}.{extension}"


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, data: bytes, extension: str) -> str:
        key = content_key(data, extension)
        path = self.root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)  # atomic: a reader never sees half a file
        return key

    def open(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def url(self, key: str) -> str:
        return url_for("media.serve", key=key)

    def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / f".ready.{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()


def get_storage() -> Storage:
    return current_app.extensions["media_storage"]


def get_private_storage() -> Storage:
    """Documents people attach to applications: never served by /media; a view streams them
    after its authorization check."""
    return current_app.extensions["private_storage"]


media_bp = Blueprint("media", __name__)


@media_bp.get("/media/<path:key>")
def serve(key: str):
    if not KEY_PATTERN.match(key):
        abort(404)
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        abort(404)
    response = send_from_directory(storage.root, key, max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def init_app(app: Flask) -> None:
    root = Path(app.config.get("MEDIA_ROOT") or Path(app.instance_path) / "media")
    app.extensions["media_storage"] = LocalStorage(root)
    app.extensions["private_storage"] = LocalStorage(Path(app.config.get("PRIVATE_MEDIA_ROOT") or Path(app.instance_path) / "private"))
    app.register_blueprint(media_bp)
