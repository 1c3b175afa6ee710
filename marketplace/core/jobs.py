"""Background jobs: RQ on Redis when REDIS_URL is set, inline after the commit without it.

A domain registers its jobs by name in its `init_app` (`register(app, "notifications.deliver",
deliver_job, sweeper=sweep)`), never at import, and asks for one with `enqueue(name, *args)`
inside its transaction. Nothing leaves before the transaction commits, so
a worker never looks for a row the request has not written, and a rolled-back request starts
no job. The request's id travels with the job into the worker's log lines.

Without Redis (`make run`, most tests) the job runs in the same process right after the
commit, so the embedded default needs no service. With Redis it runs in `flask worker`
(an RQ SimpleWorker: one job at a time in the worker's own process, so stopping the process
stops the job). RQ re-runs a job that raised, after the configured back-off, and a job whose
worker died (its registry entry expires; the next worker's maintenance requeues it while retries
are left). So every job must be idempotent: it reads the state in the database and does only
what is still undone.

Why RQ and not Celery: the project already runs Redis; RQ needs nothing else, its worker is
one small process, and jobs are plain functions. Celery's broker choice, beat and canvas are
power this project does not use.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context
from flask_sqlalchemy.session import Session
from sqlalchemy import inspect as sa_inspect

log = logging.getLogger("marketplace.jobs")

_PENDING = "pending_jobs"
_DISPATCHING = "dispatching_jobs"


class RetryLater(Exception):
    """A job could not finish now (a gateway refused, a service was down); RQ runs it again later.
    The job has already recorded why, where people can see it."""


@dataclass
class Registry:
    """One app's jobs (name -> function), schedule (name -> seconds), sweepers and observers: filled
    by the domains' `init_app`, so a job exists because create_app said so, not because a module
    happened to be imported."""

    jobs: dict[str, Callable[..., Any]] = field(default_factory=dict)
    schedule: dict[str, int] = field(default_factory=dict)
    sweepers: list[Callable[[timedelta], int]] = field(default_factory=list)
    observers: list[Callable[[str, str, float], None]] = field(default_factory=list)
    batches: dict[str, int] = field(default_factory=dict)


def registry(app: Flask | None = None) -> Registry:
    jobs: Registry = (app or current_app).extensions["jobs"]
    return jobs


def init_app(app: Flask) -> None:
    app.extensions["jobs"] = Registry()
    # What README and docs/deploy.md promise: nobody runs `flask jobs sweep` by hand.
    register(app, SWEEP_JOB, sweep, every=60)


def register(app: Flask, name: str, function: Callable[..., Any], *, every: int | None = None,
             sweeper: Callable[[timedelta], int] | None = None, batch: int | None = None) -> None:
    """`function` is the job `name` (its arguments plain values: ids, strings); with `every`, the
    scheduler runs it every that many seconds; `sweeper(older_than)` queues again the work whose
    job was lost and returns how many it queued. With `batch`, the jobs of this name one transaction
    asks for run as one call given all their arguments, at most `batch` of them (a checkout's two
    messages are claimed together): the function must take any number and do each on its own."""
    jobs = registry(app)
    if name in jobs.jobs and jobs.jobs[name] is not function:
        raise RuntimeError(f"two jobs named {name!r}")
    jobs.jobs[name] = function
    if every is not None:
        jobs.schedule[name] = every
    if sweeper is not None and sweeper not in jobs.sweepers:
        jobs.sweepers.append(sweeper)
    if batch is not None:
        jobs.batches[name] = batch


@dataclass
class PendingJob:
    name: str
    args: tuple[Any, ...]
    request_id: str = "-"

    def arguments(self) -> tuple[Any, ...]:
        return tuple(arg.value() if isinstance(arg, IdOf) else arg for arg in self.args)


@dataclass(frozen=True)
class IdOf:
    """A job's argument given as a row the transaction adds: the job gets the row's id, known once
    the commit has written it. So asking for a job needs no flush of its own (a message queued in a
    checkout is written with the orders, in the commit's one flush)."""

    row: Any

    def value(self) -> Any:
        return sa_inspect(self.row).identity[0]


def enqueue(name: str, *args: Any) -> None:
    """Run job `name(*args)` once the current transaction commits (dropped if it rolls back). An
    argument may be `IdOf(row)` for a row this transaction adds."""
    known = registry().jobs
    if name not in known:
        raise LookupError(f"no job named {name!r}; known: {sorted(known)}")
    request_id = getattr(g, "request_id", "-") if has_request_context() else getattr(g, "job_request_id", "-") \
        if has_app_context() else "-"
    _scoped_session().info.setdefault(_PENDING, []).append(PendingJob(name, args, request_id))


def _scoped_session() -> Any:
    """The app's scoped session (core sits below extensions.py, which builds `db` with JobSession)."""
    return current_app.extensions["sqlalchemy"].session


class JobSession(Session):
    """The app's database session: hands the jobs a transaction asked for to the queue once it commits."""

    def commit(self) -> None:
        super().commit()
        if self.info.get(_PENDING) and not self.info.get(_DISPATCHING):
            _dispatch(self)

    def commit_for_response(self) -> None:
        """The last commit of a request whose answer must not fail once its work is committed (a
        placed order): what is loaded stays loaded, so building the response (the signed-in person,
        their language) reads nothing from a database that may have gone away meanwhile."""
        expiring = self.expire_on_commit
        self.expire_on_commit = False
        try:
            self.commit()
        finally:
            self.expire_on_commit = expiring

    def rollback(self) -> None:
        self.info.pop(_PENDING, None)
        super().rollback()

    def close(self) -> None:
        self.info.pop(_PENDING, None)
        super().close()


def _dispatch(session: JobSession) -> None:
    session.info[_DISPATCHING] = True
    try:
        waiting = _batched(session.info.pop(_PENDING, []))
        if current_app.config.get("REDIS_URL"):
            _send_to_queue(waiting)  # nothing runs here meanwhile, so no job asks for more
            return
        while waiting:
            _run_inline(session, waiting.pop(0))
            # An inline job may commit and ask for more jobs: they run after the ones already waiting.
            # (A job that fails is rolled back, and with it the jobs it asked for, never the others.)
            waiting.extend(_batched(session.info.pop(_PENDING, [])))
    finally:
        session.info[_DISPATCHING] = False


def _batched(asked: list[PendingJob]) -> list[PendingJob]:
    """The transaction's jobs with their ids resolved, those of a batched name joined into calls of
    at most its batch size (in the order first asked)."""
    sizes = registry().batches
    jobs: list[PendingJob] = []
    open_batch: dict[str, PendingJob] = {}
    for pending in asked:
        arguments = pending.arguments()
        size = sizes.get(pending.name)
        joined = open_batch.get(pending.name) if size else None
        if joined is not None and size is not None and len(joined.args) + len(arguments) <= size:
            joined.args = (*joined.args, *arguments)
            continue
        jobs.append(PendingJob(pending.name, arguments, pending.request_id))
        if size:
            open_batch[pending.name] = jobs[-1]
    return jobs


def _run_inline(session: JobSession, pending: PendingJob) -> None:
    # A session of the job's own (a fresh app context), as on a worker: its commits and rollbacks
    # never expire what the request has loaded, and jobs it asks for run when it commits.
    with current_app.app_context():
        job_session = _scoped_session()
        try:
            registry().jobs[pending.name](*pending.args)
        except RetryLater as exc:
            # Inline there is no one to retry later: the job has recorded the failure for people to see.
            job_session.rollback()
            log.warning("job %s%r will not be retried inline: %s", pending.name, pending.args, exc)
        except Exception:
            job_session.rollback()
            if current_app.testing:
                raise
            # The request that asked for the job has committed its work; a job's failure must not undo
            # the page. The error goes to the log with the request id.
            log.exception("inline job %s%r failed", pending.name, pending.args)


def _send_to_queue(waiting: list[PendingJob]) -> None:
    """A transaction's jobs go to the queue in one pipeline: one round trip to Redis, not one per job."""
    from rq import Queue, Retry

    if not waiting:
        return
    intervals = list(current_app.config["JOB_RETRY_INTERVALS"])
    try:
        queue().enqueue_many([
            Queue.prepare_data(perform, (pending.name, *pending.args), retry=Retry(max=len(intervals), interval=intervals),
                               timeout=current_app.config["JOB_TIMEOUT_SECONDS"], meta={"request_id": pending.request_id},
                               description=f"{pending.name}{pending.args!r}")
            for pending in waiting
        ])
    except Exception as error:
        # Redis is unreachable: the work is recorded in the database (an outbox row, a certificate
        # without its file) and the scheduled sweep queues it again. One line, not a traceback per
        # request for as long as Redis is away.
        log.warning("could not queue %d job(s) %s (%s: %s); the sweep will pick them up", len(waiting),
                    ", ".join(f"{pending.name}{pending.args!r}" for pending in waiting), type(error).__name__, error)


def redis_connection(*, for_worker: bool = False) -> Any:
    """The app's connection gives up quickly (a request must not wait on a Redis that is away: the
    work is recorded for the sweep); a worker's waits on its blocking dequeue as RQ expects."""
    from redis import Redis

    connections = current_app.extensions.setdefault("job_redis", {})
    url = current_app.config["REDIS_URL"]
    if (url, for_worker) not in connections:
        options = {} if for_worker else {"socket_connect_timeout": 1, "socket_timeout": 2}
        connections[(url, for_worker)] = Redis.from_url(url, **options)
    return connections[(url, for_worker)]


def queue() -> Any:
    from rq import Queue

    return Queue(current_app.config["JOB_QUEUE"], connection=redis_connection())


def perform(name: str, *args: Any) -> Any:
    """What the worker runs: one registered job, inside the worker's app context, counted and timed."""
    from rq import get_current_job

    current = get_current_job()
    g.job_request_id = (current.meta.get("request_id") if current else None) or "-"
    started = time.perf_counter()
    outcome = "ok"
    try:
        return registry().jobs[name](*args)
    except RetryLater:
        outcome = "retry"
        raise
    except Exception:
        outcome = "failed"
        raise
    finally:
        _scoped_session().remove()
        _observe(name, outcome, time.perf_counter() - started)
        g.pop("job_request_id", None)


SWEEP_JOB = "jobs.sweep"


def sweep() -> int:
    """Queue again what waited too long: an enqueue that failed because Redis was down is not lost."""
    older_than = timedelta(seconds=current_app.config["SWEEP_AFTER_SECONDS"])
    return sum(function(older_than) for function in registry().sweepers)


def run_scheduler(app: Flask) -> None:
    """`flask jobs scheduler`: RQ's cron scheduler enqueues the registry's scheduled jobs, and the same process
    moves retries whose back-off is over from RQ's scheduled registry back to the queue. Run one
    per deployment; a second would only enqueue idempotent jobs twice. `JOB_SCHEDULE_SECONDS`
    (name -> seconds) overrides an interval (tests run the sweep every few seconds)."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from rq.cron import CronScheduler

    overrides = app.config.get("JOB_SCHEDULE_SECONDS") or {}
    stop = threading.Event()
    mover = threading.Thread(target=_move_due_retries, args=(app.config["JOB_QUEUE"], stop), name="retries", daemon=True)
    mover.start()
    try:
        while True:
            scheduler = CronScheduler(connection=redis_connection(for_worker=True), logging_level="INFO")
            for name, seconds in registry(app).schedule.items():
                scheduler.register(perform, app.config["JOB_QUEUE"], args=(name,), interval=overrides.get(name, seconds),
                                   job_timeout=app.config["JOB_TIMEOUT_SECONDS"], name=name)
            try:
                scheduler.start()  # returns when asked to stop
                return
            except (RedisConnectionError, RedisTimeoutError) as error:
                # RQ's loop ends when Redis goes away; the sweep must come back with it, by itself.
                log.warning("scheduler lost Redis (%s); starting again in 2 s", error)
                time.sleep(2)
    finally:
        stop.set()


def _move_due_retries(queue_name: str, stop: threading.Event, every_seconds: float = 1.0) -> None:
    """RQ's scheduler loop without its fork: a worker's `with_scheduler` forks a child that outlived a
    worker killed with SIGKILL (holding the scheduler lock for 17 minutes), so workers run without
    one and this thread, which dies with the scheduler process, does the child's work."""
    from rq.scheduler import RQScheduler

    mover = RQScheduler([queue_name], connection=redis_connection(for_worker=True))
    while not stop.is_set():
        try:
            if mover.acquire_locks():
                mover.enqueue_scheduled_jobs()
        except Exception:  # Redis away for a moment: try again on the next tick
            log.exception("could not move due retries of %s", queue_name)
        stop.wait(every_seconds)
    mover.release_locks()


def on_job_done(app: Flask, observer: Callable[[str, str, float], None]) -> None:
    """`observer(name, outcome, seconds)` hears every job the worker ran (the metrics count them)."""
    observers = registry(app).observers
    if observer not in observers:
        observers.append(observer)


def _observe(name: str, outcome: str, seconds: float) -> None:
    for observer in registry().observers:
        try:
            observer(name, outcome, seconds)
        except Exception:  # counting must never fail the job it counts
            log.exception("job observer %r failed", observer)


def run_worker(app: Flask, burst: bool = False) -> None:
    """`flask worker`: take jobs from JOB_QUEUE until stopped (or, with burst, until it is empty)."""
    from rq import Queue, SimpleWorker

    if not app.config.get("REDIS_URL"):
        raise RuntimeError("REDIS_URL is not set: jobs run inline in the app, there is nothing for a worker to do.")
    class Worker(SimpleWorker):
        def subscribe(self) -> None:
            # RQ listens for stop commands on a thread that waits up to 60 s at a time; redis-py 8's
            # stop() waits for that thread without a limit, so a worker could take a minute to quit
            # (seen in CI: a burst worker done with its jobs, stuck in unsubscribe). One second instead.
            self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
            self.pubsub = self.connection.pubsub()
            self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
            self.pubsub_thread = self.pubsub.run_in_thread(sleep_time=1, daemon=True,
                                                           exception_handler=self._pubsub_exception_handler)  # type: ignore[assignment]  # rq declares it None

    connection = redis_connection(for_worker=True)
    worker = Worker([Queue(app.config["JOB_QUEUE"], connection=connection)], connection=connection)
    # No scheduler child (it would outlive a killed worker): retries waiting out their back-off are
    # moved back to the queue by `flask jobs scheduler` (run_scheduler).
    worker.work(burst=burst, with_scheduler=False, logging_level="INFO")

