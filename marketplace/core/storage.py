"""Where media files live, behind one small interface.

Names are content hashes, so a file never changes under its name and can be
cached for a year. Two backends, chosen by MEDIA_STORAGE: `local` keeps files under
the instance folder (one machine, `make run`); `s3` keeps them in two buckets of any
S3-compatible store (AWS, MinIO, Ceph…; boto3), shared by every app server and worker.

Public media (listing photos) are served at /media/<key> by the app, or straight from
S3_PUBLIC_URL (a CDN or the bucket's public address) when set. Private media
(documents attached to applications, certificates) are never served by /media: a view
streams them after its authorization check; `url()` of the private store gives a
pre-signed link that expires after PRIVATE_URL_SECONDS, for the rare caller who needs one.
"""
from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import Any, Protocol

from flask import Blueprint, Flask, Response, abort, current_app, send_from_directory, url_for

KEY_PATTERN = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.(webp|jpg|png|pdf|wav|mp3|ogg)$")


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
            # A name of this write's own: two threads of one process saving the same bytes at once
            # (two calls saying one new sentence) each rename their own whole file into place.
            tmp = path.with_suffix(path.suffix + f".{os.getpid()}.{uuid.uuid4().hex}.tmp")
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


class S3Storage:
    """One bucket of an S3-compatible store."""

    def __init__(self, client: Any, bucket: str, public_url: str | None = None, private: bool = False,
                 url_seconds: int = 60) -> None:
        self.client = client
        self.bucket = bucket
        self.public_url = public_url.rstrip("/") if public_url else None
        self.private = private
        self.url_seconds = url_seconds

    def save(self, data: bytes, extension: str) -> str:
        key = content_key(data, extension)
        if not self._exists(key):  # same name, same bytes: nothing to upload
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=CONTENT_TYPES.get(extension, "application/octet-stream"),
                                   CacheControl="private, no-store" if self.private else "public, max-age=31536000, immutable")
        return key

    def _exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def open(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(key) from None
            raise

    def url(self, key: str) -> str:
        if self.private:
            return str(self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                                          ExpiresIn=self.url_seconds))
        if self.public_url:
            return f"{self.public_url}/{key}"
        return url_for("media.serve", key=key)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def check(self) -> None:
        probe = f".ready/{os.getpid()}"
        self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"ok")
        self.client.delete_object(Bucket=self.bucket, Key=probe)


CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf",
                 "wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg"}  # audio: the voice menus' prompts


def s3_client(config: Any) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=config.get("S3_ENDPOINT_URL"), region_name=config.get("S3_REGION") or "us-east-1",
        aws_access_key_id=config.get("S3_ACCESS_KEY_ID"), aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
        # Short timeouts and few retries: a slow store must fail the readiness probe, not hang requests.
        config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"},
                      s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def get_storage() -> Storage:
    storage: Storage = current_app.extensions["media_storage"]
    return storage


def get_private_storage() -> Storage:
    """Documents people attach to applications: never served by /media; a view streams them
    after its authorization check."""
    storage: Storage = current_app.extensions["private_storage"]
    return storage


media_bp = Blueprint("media", __name__)


@media_bp.get("/media/<path:key>")
def serve(key: str) -> Response:
    if not KEY_PATTERN.fullmatch(key):
        abort(404)
    storage = get_storage()
    if isinstance(storage, LocalStorage):
        response = send_from_directory(storage.root, key, max_age=31536000)
    else:
        try:
            response = Response(storage.open(key), mimetype=CONTENT_TYPES[key.rsplit(".", 1)[1]])
        except FileNotFoundError:
            abort(404)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def init_app(app: Flask) -> None:
    kind = app.config.get("MEDIA_STORAGE", "local")
    if kind == "s3":
        client = s3_client(app.config)
        app.extensions["media_storage"] = S3Storage(client, app.config["S3_MEDIA_BUCKET"], app.config.get("S3_PUBLIC_URL"))
        app.extensions["private_storage"] = S3Storage(client, app.config["S3_PRIVATE_BUCKET"], private=True,
                                                      url_seconds=app.config.get("PRIVATE_URL_SECONDS", 60))
    elif kind == "local":
        root = Path(app.config.get("MEDIA_ROOT") or Path(app.instance_path) / "media")
        app.extensions["media_storage"] = LocalStorage(root)
        app.extensions["private_storage"] = LocalStorage(Path(app.config.get("PRIVATE_MEDIA_ROOT") or Path(app.instance_path) / "private"))
    else:
        raise ValueError(f"MEDIA_STORAGE must be 'local' or 's3', not {kind!r}")
    app.register_blueprint(media_bp)
