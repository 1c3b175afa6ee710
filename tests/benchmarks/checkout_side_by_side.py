"""`make bench-checkout`: the checkout POST's server CPU, this tree against an earlier revision, side by side.

The machine is shared and its speed drifts by a third within minutes, so a checkout's CPU measured
today cannot be held against a figure kept from another day. This runs both codes at once, each in
its own process on its own small catalogue, and asks them for one checkout each in turn (before,
after, after, before, ...), so the drift falls on both alike. Each checkout is what a browser does:
put one line in the cart and look at the cart, then the timed POST /checkout (pay at pickup), then
the page it leads to. What is timed is the app's CPU from the WSGI call to its return: the server's
share, without the test client's own work of building the request and reading the answer (a few ms
that would count for both codes alike and blur their ratio). Prints the medians and their ratio;
the target is a ratio of at most 0.5.

    make bench-checkout                       # against e90cdb0^ (before issue 22), SQLite
    BEFORE=<rev> make bench-checkout
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<scratch> make bench-checkout
    BENCH_JOBS=redis make bench-checkout

With PostgreSQL, two scratch databases <scratch>_before and <scratch>_after are made and dropped
(names that exist already stop the run: it never drops a database it did not make).
With BENCH_JOBS=redis the jobs a checkout asks for go to a queue as deployed, instead of running in
the request as on a machine without Redis: on a redis-server of the run's own (tests.support.servers),
one database per code, stopped at the end; the shared Redis is never touched.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
PASSWORD = "bench-password-1"  # tests.benchmarks.catalog_data's, in every revision since the bench began
BUYER_PHONE = "+254718000009"
WARM_UP = 10


def worker() -> None:
    """One code's side: runs in that code's tree (imports come from the working directory)."""
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    import logging

    logging.getLogger("marketplace").setLevel(logging.WARNING)
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.catalog.models import Listing, ListingStatus
    from marketplace.extensions import db
    from tests.benchmarks.catalog_data import generate

    config = {"SQLALCHEMY_DATABASE_URI": os.environ["SIDE_DATABASE_URL"], "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
              "PUBLIC_PAGE_CACHE_SECONDS": 0, "VIEW_COUNT_FLUSH_SECONDS": 0, "MEDIA_ROOT": os.environ["SIDE_MEDIA"]}
    if os.environ.get("SIDE_REDIS_URL"):
        config["REDIS_URL"] = os.environ["SIDE_REDIS_URL"]
    app = create_app(config)
    with app.app_context():
        upgrade()
        generate(listings=3000, farmers=20)
        farmer = db.session.scalar(select(User).where(User.name == "Farmer 001"))
        db.session.add(User(name="Side Buyer", phone=BUYER_PHONE, preferred_locale="en", village_id=farmer.village_id,
                            password_hash=farmer.password_hash))
        db.session.commit()
        farmer_id = farmer.id
        listings = list(db.session.scalars(select(Listing.id).where(Listing.farmer_id == farmer_id, Listing.status == ListingStatus.ACTIVE)
                                           .order_by(Listing.id).limit(20)))
    served = app.wsgi_app
    app_cpu: list[float] = []

    def timed(environ, start_response):  # the server's share: the test client's own work is not counted
        started = time.process_time()
        try:
            return served(environ, start_response)
        finally:
            app_cpu.append(time.process_time() - started)

    app.wsgi_app = timed
    client = app.test_client()
    response = client.post("/login", data={"identifier": BUYER_PHONE, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    client.get(response.headers["Location"])
    form = {f"payment-{farmer_id}": "on_pickup", f"fulfilment-{farmer_id}": "pickup"}
    turn = itertools.cycle(listings)

    def one_checkout() -> float:
        listing_id = next(turn)
        with app.app_context():  # never sold out, however many rounds
            db.session.execute(text("UPDATE listings SET stock_milli = 1000000000 WHERE id = :id"), {"id": listing_id})
            db.session.commit()
        added = client.post(f"/cart/add/{listing_id}", data={"quantity": "1"})
        client.get(added.headers["Location"])
        placed = client.post("/checkout", data=form)
        spent = app_cpu[-1]
        assert placed.status_code == 302 and "/checkout/" in placed.headers["Location"], placed.status_code
        client.get(placed.headers["Location"])
        return spent

    for _ in range(WARM_UP):
        one_checkout()
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        print(f"{one_checkout() * 1000:.4f}", flush=True)
    with app.app_context():
        db.engine.dispose()


def main() -> int:
    # Imported here: the workers run this file outside the package.
    from tests.benchmarks.scratch_database import scratch_postgres
    from tests.support.servers import OwnRedis

    before = os.environ.get("BEFORE", "e90cdb0^")
    rounds = int(os.environ.get("BENCH_CHECKOUTS", "150"))
    scratch = Path(tempfile.mkdtemp(prefix="checkout-", dir=BUILD if BUILD.exists() else None))
    tree = scratch / "before"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), before], check=True)
    database = os.environ.get("BENCH_DATABASE_URL", "")
    own_redis = OwnRedis(scratch) if os.environ.get("BENCH_JOBS") == "redis" else None
    workers: dict[str, subprocess.Popen] = {}
    held = contextlib.ExitStack()  # the workers' logs and scratch databases, closed and dropped once they stop
    try:
        if own_redis is not None:
            own_redis.start()
        subprocess.run([str(Path(sys.executable).with_name("pybabel")), "--quiet", "compile", "-d", str(tree / "translations")], check=True)
        for side, cwd in (("before", tree), ("after", ROOT)):
            env = dict(os.environ, SIDE_MEDIA=str(scratch / f"media-{side}"))
            if database.startswith("postgresql"):
                env["SIDE_DATABASE_URL"] = held.enter_context(scratch_postgres(f"{database}_{side}"))
            else:
                env["SIDE_DATABASE_URL"] = f"sqlite:///{scratch / f'{side}.sqlite3'}"
            if own_redis is not None:
                env["SIDE_REDIS_URL"] = own_redis.url.rsplit("/", 1)[0] + ("/1" if side == "before" else "/2")
            log = held.enter_context((scratch / f"{side}.log").open("w"))
            workers[side] = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker"], cwd=cwd, env=env,
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
        for side, process in workers.items():
            while (line := process.stdout.readline()) and not line.startswith("ready"):
                pass
            if not line:
                raise SystemExit(f"the {side} code did not start: see {scratch / f'{side}.log'}")
        cpu: dict[str, list[float]] = {"before": [], "after": []}
        for round_number in range(rounds):
            for side in (("before", "after") if round_number % 2 == 0 else ("after", "before")):
                workers[side].stdin.write("go\n")
                workers[side].stdin.flush()
                cpu[side].append(float(workers[side].stdout.readline()))
    finally:
        for process in workers.values():
            if process.poll() is None:
                process.stdin.write("stop\n")
                process.stdin.flush()
                process.wait(timeout=60)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
        held.close()
        if own_redis is not None:
            own_redis.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    medians = {side: statistics.median(figures) for side, figures in cpu.items()}
    ratio = medians["after"] / medians["before"]
    pairs = statistics.median(after / before for before, after in zip(cpu["before"], cpu["after"], strict=True))
    where = ("PostgreSQL" if database.startswith("postgresql") else "SQLite") + (", jobs to Redis" if own_redis else ", jobs inline")
    print(f"checkout POST server CPU, side by side ({where}, {rounds} checkouts each): {before} {medians['before']:.1f} ms, "
          f"this tree {medians['after']:.1f} ms; ratio {ratio:.2f} (median of pairs {pairs:.2f})")
    print(f"  target: halved (ratio <= 0.50): {'met' if ratio <= 0.5 else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker()
    else:
        sys.exit(main())
