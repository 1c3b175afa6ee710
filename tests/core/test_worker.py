"""Jobs on real Redis, run by real `flask worker` processes: delivery with retries and back-off, photo
sizes made off the request, job metrics, and a worker killed mid-job whose job still runs exactly once.

Each test has its own queue name, so parallel test workers sharing one Redis never take each other's jobs.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text

from marketplace.core import jobs
from marketplace.notifications import services as notifications
from marketplace.notifications.models import OutboxMessage, OutboxStatus
from tests import factories
from tests.conftest import is_postgres
from tests.support.fake_gateway import start_fake_gateway

PROJECT_ROOT = Path(__file__).resolve().parents[2]




@pytest.fixture
def on_redis(app, db, redis_url, monkeypatch, database_url, tmp_path):
    """The test's app queues jobs on Redis (its own queue), SMS go to the fake gateway; `worker()`
    starts a `flask worker` process configured the same way."""
    gateway, server = start_fake_gateway()
    queue_name = f"test-{uuid.uuid4().hex[:12]}"
    settings = {"REDIS_URL": redis_url, "JOB_QUEUE": queue_name, "NOTIFICATION_SMS_BACKEND": "africastalking",
                "AT_SMS_URL": gateway.url, "AT_API_KEY": "test-key"}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    env = {**os.environ, **settings, "MEDIA_ROOT": app.config["MEDIA_ROOT"], "PRIVATE_MEDIA_ROOT": app.config["PRIVATE_MEDIA_ROOT"],
           "APP_MODE": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
           "FLASK_APP": "wsgi", "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"}
    started: list[subprocess.Popen] = []

    def worker(burst: bool = True) -> subprocess.Popen:
        # Its own process group: RQ's scheduler runs in a child process, and a killed machine takes both.
        log = tmp_path / f"worker-{len(started)}.log"
        with log.open("w") as output:
            process = subprocess.Popen([sys.executable, "-m", "flask", "worker"] + (["--burst"] if burst else []),
                                       cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        process.log = log
        started.append(process)
        if burst:
            _wait_or_explain(process, db)
            assert process.returncode == 0, log.read_text()
            db.session.rollback()  # end the test's read transaction: its snapshot predates the worker's writes
        return process

    yield gateway, worker, jobs.queue
    for process in started:
        _kill_group(process)
    jobs.queue().empty()
    server.shutdown()


#: A burst worker with one job takes 2-4 s (8 on a loaded machine): a minute is slack for a busy CI, and still
#: under pytest-timeout's 120 s for a test of one or two workers, so a stuck one is explained.
BURST_SECONDS = 60


def _wait_or_explain(process: subprocess.Popen, db) -> None:
    """Wait for a burst worker; one that is stuck is made to print where (faulthandler, on SIGABRT)
    and the test fails with its log and what the database's sessions are waiting on."""
    try:
        process.wait(timeout=BURST_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGABRT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        _kill_group(process)
        activity = "(SQLite)"
        if is_postgres():
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
                activity = "\n".join(str(row) for row in watcher.execute(text(
                    "SELECT pid, state, wait_event_type, wait_event, left(query, 100) FROM pg_stat_activity "
                    "WHERE datname = current_database()")))
        pytest.fail(f"the worker did not finish in {BURST_SECONDS} s.\nIts log:\n{process.log.read_text()}\n"
                    f"The database's sessions:\n{activity}")


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _tell(db, person, body="Your order is ready"):
    notifications.notify_user(person, "order_ready", lambda: ("", body))
    db.session.commit()
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == person.id))


def test_a_worker_delivers_what_a_request_queued_and_the_metrics_count_it(db, on_redis, client):
    gateway, worker, queue = on_redis
    person = factories.user("Amina")
    message = _tell(db, person)
    assert message.status is OutboxStatus.PENDING and queue().count == 1  # queued, not sent in the request
    worker()
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT and gateway.messages_to(person.phone) == ["Your order is ready"]
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'village_jobs_total{job="notifications.deliver",outcome="ok"}' in metrics
    assert 'village_job_queue{state="queued"} 0.0' in metrics


def test_a_transactions_messages_go_to_the_queue_as_one_job_naming_each_message(db, on_redis):
    """A checkout tells the farmer and the buyer: the commit queues one delivery job naming both
    messages it wrote (claimed by one UPDATE); the worker sends both."""
    gateway, worker, queue = on_redis
    farmer, buyer = factories.user("Wanjiru"), factories.user("Amina")
    notifications.notify_user(farmer, "order_placed", lambda: ("", "New order"))
    notifications.notify_user(buyer, "order_confirmed", lambda: ("", "Your order is placed"))
    db.session.commit()
    ids = set(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.user_id.in_([farmer.id, buyer.id]))))
    assert len(ids) == 2 and [set(job.args[1:]) for job in queue().jobs] == [ids]
    worker()
    assert gateway.messages_to(farmer.phone) == ["New order"] and gateway.messages_to(buyer.phone) == ["Your order is placed"]


def test_a_refused_message_is_retried_by_rq_and_sent_once(db, on_redis):
    gateway, worker, _queue = on_redis
    gateway.refusals_left = 2  # the gateway's bad minute: two refusals, then it takes the message
    person = factories.user("Baraka")
    message = _tell(db, person)
    worker()
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT and message.attempts == 3 and "InvalidPhoneNumber" in message.last_error
    assert gateway.messages_to(person.phone) == ["Your order is ready"]


def test_photo_sizes_are_made_by_the_worker(db, on_redis, places):
    from marketplace.catalog import services as catalog

    _gateway, worker, _queue = on_redis
    farmer = factories.farmer(places["villages"]["Mbeu"])
    # A colour of its own: the instance folder is shared by parallel tests, and originals are named by content.
    photo = catalog.upload_photos(farmer, [factories.photo_bytes(color=(31, 97, 211))])[0]
    assert not photo.ready and photo.original_key  # the request only checked the file
    worker()
    db.session.refresh(photo)
    assert photo.ready and photo.thumb_width <= 320


@pytest.mark.skipif(not is_postgres(), reason="holds a PostgreSQL row lock to stop the worker mid-job (CI's PostgreSQL run)")
def test_a_worker_killed_mid_job_leaves_the_job_to_run_exactly_once(db, on_redis):
    from rq.registry import StartedJobRegistry

    gateway, worker, queue = on_redis
    person = factories.user("Chausiku")
    message = _tell(db, person)
    # Hold the message's row: the worker's claim (an UPDATE) waits on it, in the middle of the job.
    holder = db.engine.connect()
    watcher = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        holder.begin()
        holder.execute(text("SELECT id FROM outbox_messages WHERE id = :id FOR UPDATE"), {"id": message.id})
        running = worker(burst=False)
        deadline = time.monotonic() + 30
        # (pg_stat_activity is read once per transaction: the holder's would never see the change)
        while not watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'UPDATE outbox_messages%'")).scalar():
            if time.monotonic() > deadline or running.poll() is not None:
                _kill_group(running)
                activity = watcher.execute(text("SELECT pid, state, wait_event_type, left(query, 80) FROM pg_stat_activity "
                                               "WHERE datname = current_database()")).all()
                pytest.fail(f"the worker never reached the claim:\n{running.log.read_text()}\n{activity}")
            time.sleep(0.1)
        assert StartedJobRegistry(queue=queue()).count == 1  # the job is in the worker's hands
        _kill_group(running)  # SIGKILL, no goodbye: the job is abandoned mid-way
    finally:
        holder.rollback()
        holder.close()
        watcher.close()
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status is OutboxStatus.PENDING and gateway.sent == []
    # What the next worker's maintenance does once the dead worker's heartbeat has expired (an hour on):
    # an abandoned job with retries left goes back on the queue.
    StartedJobRegistry(queue=queue()).cleanup(timestamp=time.time() + 3600)
    assert queue().count == 1
    worker()
    message = db.session.get(OutboxMessage, message.id)
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT and message.attempts == 1
    # And once more for good measure: the same job again sends nothing more.
    queue().enqueue(jobs.perform, notifications.DELIVER_JOB, message.id)
    worker()
    assert gateway.messages_to(person.phone) == ["Your order is ready"]


def test_the_scheduler_sweeps_what_was_recorded_while_redis_was_down_with_nobody_acting(app, db, own_redis, monkeypatch,
                                                                                      database_url, tmp_path):
    """Issue 18: the sweep is scheduled. Redis (the test's own) is down when the request commits: the
    message is recorded, not lost; Redis returns; the scheduler and a worker deliver it, and nobody
    runs `flask jobs sweep`."""
    gateway, server = start_fake_gateway()
    queue_name = f"test-{uuid.uuid4().hex[:12]}"
    settings = {"REDIS_URL": own_redis.url, "JOB_QUEUE": queue_name, "NOTIFICATION_SMS_BACKEND": "africastalking",
                "AT_SMS_URL": gateway.url, "AT_API_KEY": "test-key"}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    own_redis.stop()
    person = factories.user("Recorded While Down")
    message = _tell(db, person, "Your order is ready")
    assert message.status is OutboxStatus.PENDING  # the request succeeded; its job could not be queued
    own_redis.start()
    env = {**os.environ, **settings, "APP_MODE": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
           "FLASK_APP": "wsgi", "PYTHONUNBUFFERED": "1", "SWEEP_AFTER_SECONDS": "0", "JOB_SCHEDULE_SECONDS": "jobs.sweep=1",
           "MEDIA_ROOT": app.config["MEDIA_ROOT"], "PRIVATE_MEDIA_ROOT": app.config["PRIVATE_MEDIA_ROOT"]}
    processes = []
    try:
        for name, command in (("scheduler", ["jobs", "scheduler"]), ("worker", ["worker"])):
            with (tmp_path / f"{name}.log").open("w") as output:
                processes.append(subprocess.Popen([sys.executable, "-m", "flask", *command], cwd=PROJECT_ROOT, env=env,
                                                  stdout=output, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not gateway.messages_to(person.phone):
            time.sleep(0.3)
        assert gateway.messages_to(person.phone) == ["Your order is ready"], (tmp_path / "scheduler.log").read_text()[-2000:]
        time.sleep(2.5)  # more sweeps run: none sends it again
        db.session.rollback()
        db.session.refresh(message)
        assert message.status is OutboxStatus.SENT and gateway.messages_to(person.phone) == ["Your order is ready"]
    finally:
        for process in processes:
            _kill_group(process)
        server.shutdown()


def test_a_worker_runs_no_scheduler_child_that_could_outlive_it(app, own_redis, monkeypatch, database_url, tmp_path):
    """Issue 18: RQ's `with_scheduler` forks a child that outlived a worker killed with SIGKILL and kept
    the scheduler lock. Workers now run without it; the scheduler process moves due retries."""
    import psutil
    import redis

    queue_name = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "REDIS_URL": own_redis.url, "JOB_QUEUE": queue_name, "APP_MODE": "testing", "SECRET_KEY": "x",
           "DATABASE_URL": database_url, "FLASK_APP": "wsgi", "PYTHONUNBUFFERED": "1"}
    with (tmp_path / "worker.log").open("w") as output:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "worker"], cwd=PROJECT_ROOT, env=env, stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        connection = redis.Redis.from_url(own_redis.url)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not connection.keys("rq:worker:*"):
            time.sleep(0.2)
        assert connection.keys("rq:worker:*"), (tmp_path / "worker.log").read_text()
        time.sleep(1.5)  # long enough for a scheduler child to have started
        assert psutil.Process(worker.pid).children(recursive=True) == []
        assert connection.keys("rq:scheduler-lock:*") == []
        worker.kill()
        worker.wait()
        assert connection.keys("rq:scheduler-lock:*") == []  # nothing left holding it
    finally:
        _kill_group(worker)
