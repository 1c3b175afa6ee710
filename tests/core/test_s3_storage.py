"""Media in an S3-compatible store (moto's server on loopback, spoken to over HTTP by boto3): photos are
served, attachments stay private and are streamed only after the authorization check."""
from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from marketplace.core.storage import S3Storage, content_key, s3_client
from tests import factories
from tests.egov.conftest import egov  # noqa: F401  (fixtures used by `decided`)
from tests.egov.test_access import decided  # noqa: F401
from tests.support.moto_s3 import S3_SETTINGS, moto_s3_server


@pytest.fixture(scope="session")
def s3_endpoint():
    pytest.importorskip("moto", reason="moto is not installed (pip install -e '.[dev]')")
    with moto_s3_server() as url:
        yield url


@pytest.fixture
def s3(app, s3_endpoint, monkeypatch):
    """This test's app keeps media in two fresh buckets."""
    config = {**S3_SETTINGS, "S3_ENDPOINT_URL": s3_endpoint}
    client = s3_client(config)
    suffix = uuid.uuid4().hex[:10]
    public, private = f"media-{suffix}", f"private-{suffix}"
    for bucket in (public, private):
        client.create_bucket(Bucket=bucket)
    media = S3Storage(client, public)
    documents = S3Storage(client, private, private=True, url_seconds=1)
    monkeypatch.setitem(app.extensions, "media_storage", media)
    monkeypatch.setitem(app.extensions, "private_storage", documents)
    return media, documents, client


def test_the_store_saves_by_content_reads_deletes_and_answers_the_probe(s3):
    media, _documents, client = s3
    key = media.save(b"webp bytes", "webp")
    assert key == content_key(b"webp bytes", "webp") and media.save(b"webp bytes", "webp") == key
    assert media.open(key) == b"webp bytes"
    head = client.head_object(Bucket=media.bucket, Key=key)
    assert head["ContentType"] == "image/webp" and "immutable" in head["CacheControl"]
    media.delete(key)
    media.delete(key)  # twice is fine
    with pytest.raises(FileNotFoundError):
        media.open(key)
    media.check()
    with pytest.raises(Exception):  # noqa: B017  (botocore's own error for a missing bucket)
        S3Storage(client, "no-such-bucket").check()


def test_photos_go_to_the_bucket_and_are_served_by_media(s3, client, places, db):
    from marketplace.catalog import services as catalog

    media, documents, _client = s3
    farmer = factories.farmer(places["villages"]["Mbeu"])
    photo = catalog.upload_photos(farmer, [factories.photo_bytes(color=(1, 2, 3))])[0]
    assert photo.ready
    response = client.get(f"/media/{photo.display_key}")
    assert response.status_code == 200 and response.mimetype == "image/webp" and response.data == media.open(photo.display_key)
    assert "immutable" in response.headers["Cache-Control"]
    with pytest.raises(FileNotFoundError):  # the original, with its EXIF, is gone from the private bucket
        documents.open(photo.original_key)
    assert client.get("/media/ab/" + "0" * 64 + ".webp").status_code == 404
    assert client.get("/readyz").get_json()["checks"]["storage"] == "ok"


def test_attachments_stay_private_and_are_streamed_only_to_those_allowed(s3, decided, client, login, egov):
    """`decided` (an application filed with a document, then approved) runs after `s3`: its files are in the buckets."""
    _media, documents, s3_client_ = s3
    key, attachment = decided.key, decided.attachments[0]
    # In the private bucket, not the public one, and never under /media.
    assert s3_client_.head_object(Bucket=documents.bucket, Key=attachment.storage_key)
    assert client.get(f"/media/{attachment.storage_key}").status_code == 404
    url = f"/applications/{key}/files/{attachment.id}"
    login(egov["other_resident"])
    assert client.get(url).status_code == 404
    client.post("/logout")
    login(egov["resident"])
    streamed = client.get(url)
    assert streamed.status_code == 200 and streamed.data == documents.open(attachment.storage_key)
    assert streamed.headers["Cache-Control"] == "private, no-store"
    # The certificate's PDF was rendered by its job into the private bucket too.
    pdf = client.get(f"/applications/{key}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert s3_client_.head_object(Bucket=documents.bucket, Key=decided.certificate.storage_key)
    # A pre-signed link (signature version 4) that expires after PRIVATE_URL_SECONDS. moto checks
    # neither signature nor expiry, so this checks what the link asks of a real store.
    link = documents.url(attachment.storage_key)
    query = parse_qs(urlsplit(link).query)
    assert query["X-Amz-Expires"] == ["1"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Signature"]
    assert requests.get(link, timeout=5).content == documents.open(attachment.storage_key)


def test_readiness_fails_when_the_store_is_unreachable(app, client, monkeypatch):
    config = {**S3_SETTINGS, "S3_ENDPOINT_URL": "http://127.0.0.1:1"}
    monkeypatch.setitem(app.extensions, "media_storage", S3Storage(s3_client(config), "village-media"))
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["storage"] != "ok"


def test_configuration_chooses_the_store(s3_endpoint, database_url):
    from marketplace import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_STORAGE": "s3",
                      "S3_ENDPOINT_URL": s3_endpoint, **S3_SETTINGS})
    media, documents = app.extensions["media_storage"], app.extensions["private_storage"]
    assert isinstance(media, S3Storage) and isinstance(documents, S3Storage)
    assert (media.bucket, media.private, documents.bucket, documents.private) == ("village-media", False, "village-private", True)
    with pytest.raises(ValueError):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_STORAGE": "ftp"})
