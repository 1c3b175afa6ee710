"""`make loadtest`: 50 users for 5 minutes (LOADTEST_USERS, LOADTEST_TIME) of the mixed journey against
`make prod-local` on PostgreSQL; prints requests/s, failures and p50/p95 per step, profiles one app
server for 60 s in the middle (py-spy), waits for the jobs to drain, checks the invariants and writes
build/loadtest.json. Exits 1 if a request failed or an invariant does not hold."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.loadtest.invariants import check, load_seed, load_submitted
from tests.loadtest.prod_local import LOADTEST, PROJECT_ROOT, ProdLocal

USERS = int(os.environ.get("LOADTEST_USERS", "50"))
DURATION = os.environ.get("LOADTEST_TIME", "5m")
PROFILE_SECONDS = int(os.environ.get("LOADTEST_PROFILE_SECONDS", "60"))


def _seconds(duration: str) -> int:
    unit = duration[-1]
    return int(duration[:-1]) * {"s": 1, "m": 60, "h": 3600}[unit] if unit in "smh" else int(duration)


def _drain(topology: ProdLocal, seconds: int = 240) -> None:
    """Wait until the worker has run every job the load queued (notifications, photo sizes…), and the
    sweep has queued again what was recorded while Redis was down (nothing waits in the database)."""
    import redis
    from rq import Queue
    from sqlalchemy import create_engine, text

    queue = Queue("village", connection=redis.Redis.from_url(topology.redis_url))
    engine = create_engine(topology.database_url)
    deadline, quiet = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        with engine.connect() as db:
            waiting = db.execute(text("SELECT count(*) FROM outbox_messages WHERE status IN ('pending', 'failed')")).scalar()
        # A killed worker's job stays in the started registry until its lease ends: not waited for.
        idle = queue.count == 0 and queue.scheduled_job_registry.count == 0 and waiting == 0
        quiet = quiet + 1 if idle else 0
        if quiet >= 3:
            break
        time.sleep(1)
    engine.dispose()


FAULTS = os.environ.get("LOADTEST_FAULTS", "1") != "0"
REDIS_DOWN_SECONDS = 20


def _faults(topology: ProdLocal, duration: int, events: list, started: float) -> None:
    """During the load: at 30% of it the worker is killed (SIGKILL) and a new one started 5 s later; at
    55% the topology's own Redis is stopped for 20 s and started again (empty: it keeps nothing)."""
    def at(share: float) -> None:
        time.sleep(max(0, started + duration * share - time.monotonic()))

    def note(what: str) -> None:
        events.append({"at_s": round(time.monotonic() - started, 1), "event": what})

    at(0.30)
    topology.kill_worker()
    note("worker killed (SIGKILL)")
    time.sleep(5)
    topology.start_worker()
    note("a new worker started")
    at(0.55)
    topology.stop_redis()
    note("Redis stopped")
    time.sleep(REDIS_DOWN_SECONDS)
    topology.start_redis()
    note("Redis started again (empty)")


def _cpu_groups(topology: ProdLocal, locust_pid: int) -> dict[str, list]:
    """The processes whose CPU time is reported, by role (each a process tree, or the servers by name)."""
    import psutil

    def tree(pid: int) -> list:
        try:
            root = psutil.Process(pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    by_name = lambda name: [p for p in psutil.process_iter(["name"]) if p.info["name"] == name]  # noqa: E731
    groups = {"app servers (gunicorn)": tree(topology.pid_of("app-1")) + tree(topology.pid_of("app-2")),
              "worker + scheduler": tree(topology.pid_of("worker")) + tree(topology.pid_of("scheduler")),
              "PostgreSQL": by_name("postgres"), "Redis": by_name("redis-server"), "locust (load generator)": tree(locust_pid),
              "S3 + SMS fakes": tree(topology.pid_of("s3"))}
    if "haproxy" in topology.processes:
        groups["haproxy"] = tree(topology.pid_of("haproxy"))
    return groups


def _cpu_seconds(groups: dict[str, list]) -> dict[str, dict[int, float]]:
    import psutil

    seen: dict[str, dict[int, float]] = {}
    for name, processes in groups.items():
        seen[name] = {}
        for process in processes:
            try:
                times = process.cpu_times()
                seen[name][process.pid] = times.user + times.system
            except psutil.NoSuchProcess:
                pass
    return seen


def _cpu_percent(before: dict, after: dict, seconds: float) -> dict[str, float]:
    """Per group, CPU used between the two readings as % of one core (a process started in between
    counts from zero: PostgreSQL starts a backend per new connection)."""
    return {name: round(100 * sum(t - before[name].get(pid, 0.0) for pid, t in after[name].items()) / seconds, 1)
            for name in after}


def _profile(pid: int, seconds: int) -> subprocess.Popen | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return None
    # --gil: only the thread holding the GIL is sampled, so this is where Python spent CPU, not where
    # threads waited for PostgreSQL.
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(seconds), "--format", "raw", "--nonblocking",
                             "--subprocesses", "--gil", "-o", str(LOADTEST / "profile.txt")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def _frame_name(frame: str) -> str:
    if " (" not in frame:
        return frame
    function, rest = frame.split(" (", 1)
    path = rest.split(":")[0].replace(str(PROJECT_ROOT) + "/", "")
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    return f"{function} ({path})"


def _library(frame: str) -> str:
    """'load (sqlalchemy/orm/loading.py)' -> 'sqlalchemy'; our own code by domain ('marketplace/catalog')."""
    path = frame.split(" (", 1)[-1].rstrip(")")
    parts = path.split("/")
    if parts[0] == "marketplace" and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0] if len(parts) > 1 else "python: " + path


def _top_of_profile(path: Path, limit: int = 12) -> dict[str, list[tuple[str, float]]]:
    """Share of CPU samples: in each of our functions (inclusive) and in each library or module at the leaf."""
    if not path.exists():
        return {}
    inclusive: Counter = Counter()
    leaf: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame_name(f) for f in stack.split(";")]
        leaf[_library(frames[-1])] += n
        for name in set(f for f in frames if "(marketplace/" in f):
            inclusive[name] += n
    if not total:
        return {}
    share = lambda counter: [(name, round(100 * n / total, 1)) for name, n in counter.most_common(limit)]  # noqa: E731
    return {"our_functions_inclusive": share(inclusive), "where_cpu_is_spent_by_library": share(leaf)}


def main() -> int:
    # The sweep looks for work Redis lost every 10 s, for work older than 30 s (production: every
    # minute, two minutes), so that a short run sees it come back.
    with ProdLocal(extra_env={"SWEEP_AFTER_SECONDS": "30", "JOB_SCHEDULE_SECONDS": "jobs.sweep=10"}) as topology:
        env = {**os.environ, "LOADTEST_DIR": str(LOADTEST)}
        host = topology.proxy_url or topology.app_urls[0]
        if topology.proxy_url is None:
            env["LOADTEST_HOSTS"] = ",".join(topology.app_urls)
        print(f"load: {USERS} users for {DURATION} against {host}" + ("" if topology.proxy_url else " and the second app server"))
        locust = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(PROJECT_ROOT / "tests/loadtest/locustfile.py"), "--headless",
             "-u", str(USERS), "-r", "5", "-t", DURATION, "--host", host, "--csv", str(LOADTEST / "locust"),
             "--only-summary", "--stop-timeout", "30"],
            cwd=PROJECT_ROOT, env=env, stdout=(LOADTEST / "locust.log").open("w"), stderr=subprocess.STDOUT)
        launched = time.monotonic()
        events: list = []
        if FAULTS:
            import threading

            faults = threading.Thread(target=_faults, args=(topology, _seconds(DURATION), events, launched), daemon=True)
            faults.start()
        time.sleep(15)  # all users started
        cpu_before, started = _cpu_seconds(_cpu_groups(topology, locust.pid)), time.monotonic()
        time.sleep(max(0, _seconds(DURATION) // 2 - PROFILE_SECONDS // 2 - 15))
        spy = _profile(topology.pid_of("app-1"), PROFILE_SECONDS)
        time.sleep(max(0, _seconds(DURATION) - 5 - (time.monotonic() - launched)))
        cpu_after, elapsed = _cpu_seconds(_cpu_groups(topology, locust.pid)), time.monotonic() - started  # before locust exits
        cpu = _cpu_percent(cpu_before, cpu_after, elapsed)
        locust.wait()
        if spy is not None:
            spy.wait(timeout=PROFILE_SECONDS + 30)
        _drain(topology)
        invariants = check(topology.database_url, load_seed(LOADTEST / "seed.json"), load_submitted(LOADTEST / "submitted.txt"),
                           list(topology.gateway.sent), workers_killed=sum("killed" in e["event"] for e in events))
    steps = []
    with (LOADTEST / "locust_stats.csv").open() as stats:
        for row in csv.DictReader(stats):
            steps.append({"step": row["Name"], "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                          "requests_per_s": round(float(row["Requests/s"]), 2), "p50_ms": int(float(row["50%"] or 0)),
                          "p95_ms": int(float(row["95%"] or 0))})
    outcomes = json.loads((LOADTEST / "outcomes.json").read_text()) if (LOADTEST / "outcomes.json").exists() else {}
    failures_by_kind: Counter = Counter()
    if (LOADTEST / "locust_failures.csv").exists():
        with (LOADTEST / "locust_failures.csv").open() as failures:
            for row in csv.DictReader(failures):
                failures_by_kind[f"{row['Method']} {row['Name']}: {row['Error'][:120]}"] += int(row["Occurrences"])
    profile = _top_of_profile(LOADTEST / "profile.txt")
    report = {"users": USERS, "duration": DURATION, "front": "haproxy round-robin" if topology.proxy_url else "users spread by locust",
              "app_servers": len(topology.app_urls), "think_seconds": os.environ.get("LOADTEST_THINK", "1,3"),
              "cpu_percent_of_one_core": cpu, "cores": os.cpu_count(), "steps": steps, "outcomes": outcomes, "invariants": invariants,
              "profile_app_1_percent_of_cpu_samples": profile, "faults": events,
              "failed_requests_by_kind": dict(failures_by_kind.most_common())}
    (PROJECT_ROOT / "build").mkdir(exist_ok=True)
    (PROJECT_ROOT / "build" / os.environ.get("LOADTEST_REPORT", "loadtest.json")).write_text(json.dumps(report, indent=1))
    print(f"\n{'step':<28}{'requests':>9}{'failures':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}")
    for step in steps:
        print(f"{step['step'][:27]:<28}{step['requests']:>9}{step['failures']:>9}{step['requests_per_s']:>8}{step['p50_ms']:>8}{step['p95_ms']:>8}")
    print(f"\noutcomes: {outcomes}")
    print(f"faults during the load: {events or 'none (LOADTEST_FAULTS=0)'}")
    print(f"failed requests by kind: {dict(failures_by_kind.most_common()) or 'none'}")
    print(f"CPU during the load, % of one core (this machine has {os.cpu_count()}): {cpu}")
    for name, verdict in invariants.items():
        print(f"invariant: {name}: {verdict}")
    for title, rows in profile.items():
        print(f"\nprofile of app server 1 under load, share of CPU samples: {title.replace('_', ' ')}")
        for name, share in rows:
            print(f"  {share:5.1f}%  {name}")
    print(f"\nwritten: build/{os.environ.get('LOADTEST_REPORT', 'loadtest.json')}")
    aggregated = next((s for s in steps if s["step"] == "Aggregated"), None)
    failed = (aggregated or {}).get("failures", 1) > 0 or any(not v.startswith("ok") for v in invariants.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
