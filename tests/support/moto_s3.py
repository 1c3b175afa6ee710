"""moto's S3 in server mode on a loopback port: boto3 talks real HTTP to it, as to any S3-compatible store."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def moto_s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


S3_SETTINGS = {"S3_ACCESS_KEY_ID": "test-key", "S3_SECRET_ACCESS_KEY": "test-secret", "S3_REGION": "us-east-1"}
