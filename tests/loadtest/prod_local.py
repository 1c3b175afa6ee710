"""`make prod-local`: the production topology on one machine.

Two gunicorn app servers (loopback ports 8101 and 8102), one RQ worker and the job scheduler, on
the local PostgreSQL (a fresh `village_prodlocal` database, migrated by Alembic as a deploy would),
Redis (database 14, emptied first), moto's S3 server for media (8110) and a fake SMS gateway (8111).
In front, haproxy round-robin on 8100 when Debian's haproxy is installed (`make proxy-deps`);
without it the load test spreads its users over the two servers itself.

    python -m tests.loadtest.prod_local      # runs until Ctrl-C
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BUILD = PROJECT_ROOT / "build" / "prodlocal"
LOADTEST = PROJECT_ROOT / "build" / "loadtest"
PG_ADMIN_URL = os.environ.get("PRODLOCAL_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "village_prodlocal"
REDIS_URL = os.environ.get("PRODLOCAL_REDIS", "redis://127.0.0.1:6379/14")
APP_PORTS = (8101, 8102)
PROXY_PORT, S3_PORT, SMS_PORT = 8100, 8110, 8111
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)


class ProdLocal:
    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen] = {}
        self.gateway = None
        self._gateway_server = None

    # --- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> "ProdLocal":
        BUILD.mkdir(parents=True, exist_ok=True)
        LOADTEST.mkdir(parents=True, exist_ok=True)
        for stale in ("submitted.txt", "outcomes.json"):
            (LOADTEST / stale).unlink(missing_ok=True)
        try:
            self._fresh_database()
            self._fresh_redis()
            self._start_s3()
            self._start_gateway()
            self.env = self._environment()
            self._run(["-m", "flask", "db", "upgrade"], "migrate")
            self._run(["-m", "flask", "seed-demo"], "seed-demo")
            self._run(["-m", "tests.loadtest.seed", str(LOADTEST / "seed.json")], "seed-load")
            for number, port in enumerate(APP_PORTS, start=1):
                self._spawn(f"app-{number}", [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1",
                                               "-k", "gthread", "--threads", "8", "--timeout", "60", "wsgi:app"])
            self._spawn("worker", [sys.executable, "-m", "flask", "worker"])
            self._spawn("scheduler", [sys.executable, "-m", "flask", "jobs", "scheduler"])
            for port in APP_PORTS:
                self._wait_ready(f"http://127.0.0.1:{port}")
            if HAPROXY:
                self._start_haproxy()
                self._wait_ready(self.proxy_url)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *_exc) -> None:
        for name, process in reversed(list(self.processes.items())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if self._gateway_server is not None:
            self._gateway_server.shutdown()

    @property
    def app_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in APP_PORTS]

    @property
    def proxy_url(self) -> str | None:
        return f"http://127.0.0.1:{PROXY_PORT}" if HAPROXY else None

    @property
    def database_url(self) -> str:
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        return f"{base}/{DATABASE}"

    def pid_of(self, name: str) -> int:
        return self.processes[name].pid

    # --- the pieces -----------------------------------------------------------------------------
    def _fresh_database(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{DATABASE}"')

    def _fresh_redis(self) -> None:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()

    def _start_s3(self) -> None:
        import boto3

        self._spawn("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(S3_PORT)], env=os.environ.copy())
        client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{S3_PORT}", region_name="us-east-1",
                              aws_access_key_id="prodlocal", aws_secret_access_key="prodlocal")
        deadline = time.monotonic() + 30
        while True:
            try:
                for bucket in ("village-media", "village-private"):
                    client.create_bucket(Bucket=bucket)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def _start_gateway(self) -> None:
        from tests.support.fake_gateway import start_fake_gateway

        self.gateway, self._gateway_server = start_fake_gateway()

    def _environment(self) -> dict[str, str]:
        return {
            **os.environ, "APP_MODE": "production", "SECRET_KEY": secrets.token_hex(32), "FLASK_APP": "wsgi",
            "DATABASE_URL": self.database_url, "REDIS_URL": REDIS_URL, "PUBLIC_BASE_URL": f"http://127.0.0.1:{PROXY_PORT}",
            # Plain HTTP on loopback: no TLS to force, cookies without the Secure flag; every load-test
            # user comes from 127.0.0.1, so the per-address sign-in limit is raised (still counted in Redis).
            "FORCE_HTTPS": "0", "COOKIE_SECURE": "0", "RATELIMIT_LOGIN": "100000 per minute", "TRUSTED_PROXIES": "127.0.0.1",
            "MEDIA_STORAGE": "s3", "S3_ENDPOINT_URL": f"http://127.0.0.1:{S3_PORT}", "S3_ACCESS_KEY_ID": "prodlocal",
            "S3_SECRET_ACCESS_KEY": "prodlocal", "NOTIFICATION_SMS_BACKEND": "africastalking", "AT_SMS_URL": self.gateway.url,
            "AT_API_KEY": "prodlocal", "LOG_FORMAT": "json", "PHONE_CALLBACK_SECRET": secrets.token_hex(8),
        }

    def _run(self, args: list[str], name: str) -> None:
        with (BUILD / f"{name}.log").open("w") as log:
            subprocess.run([sys.executable, *args], cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, check=True)

    def _spawn(self, name: str, command: list[str], env: dict | None = None) -> None:
        log = (BUILD / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT)

    def _start_haproxy(self) -> None:
        config = BUILD / "haproxy.cfg"
        servers = "\n".join(f"    server app{n} 127.0.0.1:{port} check" for n, port in enumerate(APP_PORTS, start=1))
        config.write_text(f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option forwardfor
frontend village
    bind 127.0.0.1:{PROXY_PORT}
    default_backend apps
backend apps
    balance roundrobin
    option httpchk GET /readyz
{servers}
""")
        self._spawn("haproxy", [HAPROXY, "-f", str(config), "-db"], env=os.environ.copy())

    def _wait_ready(self, url: str, seconds: int = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if requests.get(url + "/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            dead = [name for name, process in self.processes.items() if process.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"{url} is not ready (stopped: {dead}); see {BUILD}/*.log")
            time.sleep(0.3)


def main() -> None:
    with ProdLocal() as topology:
        print("Village Square, production topology on this machine:")
        for url in topology.app_urls:
            print(f"  app server   {url}")
        print(f"  front        {topology.proxy_url or 'none (haproxy is not installed: make proxy-deps)'}")
        print(f"  worker, scheduler; PostgreSQL {DATABASE}; Redis {REDIS_URL}; S3 :{S3_PORT}; SMS gateway {topology.gateway.url}")
        print(f"  logs in {BUILD}; demo and load-test passwords in {LOADTEST / 'seed.json'}. Ctrl-C stops everything.")
        try:
            while all(process.poll() is None for process in topology.processes.values()):
                time.sleep(1)
            print("a process stopped; see the logs", file=sys.stderr)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
