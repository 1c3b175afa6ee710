"""`make prod-local`: the production topology on one machine.

Two gunicorn app servers, one RQ worker and the job scheduler, on the local PostgreSQL (a database
of this run's own, `village_prodlocal_<random>`, migrated by Alembic as a deploy would), a
redis-server of its own (so the load test can stop it without touching anyone's), moto's S3 server
for media and a fake SMS gateway; haproxy round-robin in front when Debian's haproxy is installed
(`make proxy-deps`); without it the load test spreads its users over the two servers itself. Every
port is a free one asked of the system. The PostgreSQL server is shared: a run touches only the
database it made, and drops it on exit.

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

from tests.support.servers import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BUILD = PROJECT_ROOT / "build" / "prodlocal"
LOADTEST = PROJECT_ROOT / "build" / "loadtest"
PG_ADMIN_URL = os.environ.get("PRODLOCAL_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)


def gunicorn_command(port: int, connections: str = "after") -> list[str]:
    """One app server as production runs it. --keep-alive longer than any idle time of haproxy's
    pooled connections: gunicorn's 2 s default closed connections haproxy was just reusing
    (requests closed with no answer). connections="before" leaves gunicorn's default."""
    keep_alive = [] if connections == "before" else ["--keep-alive", "75"]
    return [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "-k", "gthread", "--threads", "8",
            "--timeout", "60", *keep_alive, "wsgi:app"]


def haproxy_config(proxy_port: int, app_ports, connections: str = "after") -> str:
    """haproxy round-robin over the app servers. Idle connections: towards the app servers haproxy
    gives them up (5 s) well before gunicorn's keep-alive (75 s) would close one under it; a request
    whose connection failed before it was sent is tried again on another server, never a POST that
    may have reached one. connections="before": the settings of before issue 18 (item 8)."""
    servers = "\n".join(f"    server app{n} 127.0.0.1:{port} check" for n, port in enumerate(app_ports, start=1))
    after = connections != "before"
    defaults = "    timeout http-keep-alive 30s\n    retries 2\n    retry-on conn-failure empty-response\n" if after else "    retries 2\n"
    backend = "    default-server pool-purge-delay 5s\n    http-request disable-l7-retry unless METH_GET || METH_HEAD\n" if after else ""
    return f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
{defaults}    option redispatch
    option forwardfor
frontend village
    bind 127.0.0.1:{proxy_port}
    default_backend apps
backend apps
    balance roundrobin
    option httpchk GET /readyz
{backend}{servers}
"""


class ProdLocal:
    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.extra_env = extra_env or {}
        self.processes: dict[str, subprocess.Popen] = {}
        self.gateway = None
        self._gateway_server = None
        self.run_id = secrets.token_hex(4)
        # PRODLOCAL_CONNECTIONS=before: gunicorn's and haproxy's keep-alive and retry settings as they
        # were before issue 18 (item 8), so `make loadtest-connections` can show the difference in one run.
        self.connections = os.environ.get("PRODLOCAL_CONNECTIONS", "after")
        self.database = f"village_prodlocal_{self.run_id}"
        self.redis = None  # tests.support.servers.OwnRedis, started in __enter__
        self._made_database = False
        self.app_ports = (free_port(), free_port())
        self.proxy_port, self.s3_port = free_port(), free_port()

    # --- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> ProdLocal:
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
            for number, port in enumerate(self.app_ports, start=1):
                self._spawn(f"app-{number}", gunicorn_command(port, self.connections))
            self._spawn("worker", [sys.executable, "-m", "flask", "worker"])
            self._spawn("scheduler", [sys.executable, "-m", "flask", "jobs", "scheduler"])
            for port in self.app_ports:
                self._wait_ready(f"http://127.0.0.1:{port}")
            if HAPROXY:
                self._start_haproxy()
                self._wait_ready(self.proxy_url)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *_exc) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if self._gateway_server is not None:
            self._gateway_server.shutdown()
        self._drop_what_this_run_made()

    @property
    def app_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.app_ports]

    @property
    def proxy_url(self) -> str | None:
        return f"http://127.0.0.1:{self.proxy_port}" if HAPROXY else None

    @property
    def database_url(self) -> str:
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        return f"{base}/{self.database}"

    def pid_of(self, name: str) -> int:
        return self.processes[name].pid

    # --- the pieces -----------------------------------------------------------------------------
    def _fresh_database(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.database}"')  # a new name: fails rather than reuse one
        self._made_database = True

    def _fresh_redis(self) -> None:
        from tests.support.servers import OwnRedis

        (BUILD / "redis").mkdir(exist_ok=True)
        self.redis = OwnRedis(BUILD / "redis")
        self.redis.start()

    @property
    def redis_url(self) -> str | None:
        return self.redis.url if self.redis else None

    # --- faults the load test makes ---------------------------------------------------------------
    def kill_worker(self) -> None:
        """SIGKILL, as a machine that loses power: no chance to finish or give back its job."""
        process = self.processes["worker"]
        process.kill()
        process.wait()

    def start_worker(self) -> None:
        self._spawn("worker", [sys.executable, "-m", "flask", "worker"], log_name=f"worker-{time.monotonic_ns()}")

    def stop_redis(self) -> None:
        self.redis.stop()

    def start_redis(self) -> None:
        self.redis.start()

    def _drop_what_this_run_made(self) -> None:
        import psycopg

        if self.redis is not None:
            self.redis.stop()  # its own server, keeping nothing on disk
            self.redis = None
        if self._made_database:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self._made_database = False

    def _start_s3(self) -> None:
        import boto3

        self._spawn("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.s3_port)], env=os.environ.copy())
        client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{self.s3_port}", region_name="us-east-1",
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
            "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url, "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.proxy_port}",
            # Plain HTTP on loopback: no TLS to force, cookies without the Secure flag; every load-test
            # user comes from 127.0.0.1, so the per-address sign-in limit is raised (still counted in Redis).
            "FORCE_HTTPS": "0", "COOKIE_SECURE": "0", "RATELIMIT_LOGIN": "100000 per minute", "TRUSTED_PROXIES": "127.0.0.1",
            "MEDIA_STORAGE": "s3", "S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}", "S3_ACCESS_KEY_ID": "prodlocal",
            "S3_SECRET_ACCESS_KEY": "prodlocal", "NOTIFICATION_SMS_BACKEND": "africastalking", "AT_SMS_URL": self.gateway.url,
            "AT_API_KEY": "prodlocal", "LOG_FORMAT": "json", "PHONE_CALLBACK_SECRET": secrets.token_hex(8),
            **self.extra_env,
        }

    def _run(self, args: list[str], name: str) -> None:
        with (BUILD / f"{name}.log").open("w") as log:
            subprocess.run([sys.executable, *args], cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, check=True)

    def _spawn(self, name: str, command: list[str], env: dict | None = None, log_name: str | None = None) -> None:
        log = (BUILD / f"{log_name or name}.log").open("w")
        self.processes[name] = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT)

    def _start_haproxy(self) -> None:
        config = BUILD / "haproxy.cfg"
        config.write_text(haproxy_config(self.proxy_port, self.app_ports, self.connections))
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
        print(f"  worker, scheduler; PostgreSQL {topology.database}; Redis {topology.redis_url}; S3 :{topology.s3_port}; "
              f"SMS gateway {topology.gateway.url}")
        print(f"  logs in {BUILD}; demo and load-test passwords in {LOADTEST / 'seed.json'}. Ctrl-C stops everything.")
        try:
            while all(process.poll() is None for process in topology.processes.values()):
                time.sleep(1)
            print("a process stopped; see the logs", file=sys.stderr)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
