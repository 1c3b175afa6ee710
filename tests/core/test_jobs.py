"""The job layer without Redis: jobs run after the commit that asked for them, never after a rollback;
outbox delivery claims each message once; lost jobs are found again by the sweep."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.core import jobs
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.core.timeutils import utcnow
from marketplace.notifications import services as notifications
from marketplace.notifications.channels import register_backend
from marketplace.notifications.models import OutboxMessage, OutboxStatus
from tests import factories

ran: list[tuple] = []


def _record(value: str) -> None:
    ran.append(("record", value))


def _chain(value: str) -> None:
    ran.append(("chain", value))
    jobs.enqueue("tests.record", value + "+next")
    from marketplace.extensions import db

    db.session.commit()


@pytest.fixture(autouse=True)
def _clear(app):
    jobs.register(app, "tests.record", _record)
    jobs.register(app, "tests.chain", _chain)
    ran.clear()
    yield
    ran.clear()


def test_a_job_runs_only_once_its_transaction_commits(db):
    jobs.enqueue("tests.record", "a")
    assert ran == []  # not before the commit: a worker would not find the rows yet
    db.session.commit()
    assert ran == [("record", "a")]
    jobs.enqueue("tests.record", "b")
    db.session.rollback()
    db.session.commit()
    assert ran == [("record", "a")]  # the rolled-back transaction's job is gone


def test_a_job_may_ask_for_another_and_unknown_jobs_are_refused(db):
    jobs.enqueue("tests.chain", "x")
    db.session.commit()
    assert ran == [("chain", "x"), ("record", "x+next")]
    with pytest.raises(LookupError):
        jobs.enqueue("no.such.job")


def test_jobs_of_a_batched_name_run_as_calls_of_at_most_its_batch(app, db):
    jobs.register(app, "tests.batched", lambda *values: ran.append(("batched", *values)), batch=2)
    for value in "abc":
        jobs.enqueue("tests.batched", value)
    jobs.enqueue("tests.record", "d")
    db.session.commit()
    assert ran == [("batched", "a", "b"), ("batched", "c"), ("record", "d")]


def test_a_job_asked_for_a_row_not_yet_written_gets_its_id_once_the_commit_writes_it(db):
    """`IdOf(row)`: asking for a job needs no flush of its own; the id is read after the commit."""
    from marketplace.extensions import db as database

    person = factories.user("Wanjiru")
    message = OutboxMessage(user_id=person.id, kind="order_ready", channel="sms", recipient="+254700000001", locale="en", body="x",
                            status=OutboxStatus.SENT)  # already sent: the delivery below must not send it
    database.session.add(message)
    jobs.enqueue("tests.record", jobs.IdOf(message))
    assert message.id is None and ran == []  # nothing written yet
    database.session.commit()
    assert ran == [("record", message.id)] and isinstance(message.id, int)
    another = OutboxMessage(user_id=person.id, kind="order_ready", channel="sms", recipient="+254700000001", locale="en", body="y")
    database.session.add(another)
    jobs.enqueue("tests.record", jobs.IdOf(another))
    database.session.rollback()
    database.session.commit()
    assert ran == [("record", message.id)]  # a rolled-back row asks for nothing


class Recording:
    sent: list[int] = []
    failures_left = 0

    def deliver(self, message):
        if Recording.failures_left:
            Recording.failures_left -= 1
            raise ConnectionError("gateway timed out")
        Recording.sent.append(message.id)


@pytest.fixture
def recording(app, monkeypatch):
    Recording.sent = []
    Recording.failures_left = 0
    register_backend("recording", Recording)
    monkeypatch.setitem(app.config, "NOTIFICATION_CHANNEL_BACKEND", "recording")
    return Recording


def _tell(person, db):
    notifications.notify_user(person, "password_reset", lambda: ("Subject", "Body"))
    db.session.commit()
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == person.id))


def test_delivery_claims_a_message_once_however_often_its_job_runs(db, recording):
    message = _tell(factories.user("Amina"), db)
    assert recording.sent == [message.id] and message.status is OutboxStatus.SENT and message.attempts == 1
    notifications.deliver_job(message.id)  # a duplicate job, or RQ running it again
    notifications.deliver_job(message.id)
    db.session.refresh(message)
    assert recording.sent == [message.id] and message.attempts == 1


def test_a_failed_message_shows_its_error_and_an_admin_sends_it_again(db, recording, client, login):
    recording.failures_left = 1
    message = _tell(factories.user("Baraka"), db)
    assert message.status is OutboxStatus.FAILED and "gateway timed out" in message.last_error and recording.sent == []
    with pytest.raises(PermissionDenied):
        notifications.retry(factories.user("Not an admin"), message.id)
    admin = factories.with_role(Role.ADMIN)
    login(admin)
    page = client.get("/admin/outbox?show=problems").get_data(as_text=True)
    assert "gateway timed out" in page and f"/admin/outbox/{message.id}/retry" in page
    response = client.post(f"/admin/outbox/{message.id}/retry", data={"show": "problems"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/outbox?show=problems")
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT and message.attempts == 2 and recording.sent == [message.id]
    assert f"sent again by user {admin.id}" in message.last_error
    with pytest.raises(DomainError):  # a sent message is never sent twice by a click
        notifications.retry(admin, message.id)
    assert client.post("/admin/outbox/999999/retry").status_code == 404


def test_one_failed_message_does_not_hold_back_the_others_of_its_transaction(db, recording):
    recording.failures_left = 1
    first, second = factories.user("Eliud"), factories.user("Faith")
    for person in (first, second):
        notifications.notify_user(person, "order_ready", lambda: ("", "Ready"))
    db.session.commit()
    states = dict(db.session.execute(select(OutboxMessage.user_id, OutboxMessage.status)).all())
    assert states == {first.id: OutboxStatus.FAILED, second.id: OutboxStatus.SENT}


def test_a_message_whose_worker_died_while_sending_is_not_sent_again_by_itself(db, recording, app, client, login):
    person = factories.user("Chausiku")
    message = OutboxMessage(user_id=person.id, kind="order_ready", channel="sms", recipient=person.phone, locale="en", body="Hi",
                            status=OutboxStatus.SENDING, attempts=1, claimed_at=utcnow() - timedelta(minutes=30))
    db.session.add(message)
    db.session.commit()
    notifications.deliver_job(message.id)
    assert recording.sent == []  # it may have reached the phone: no job decides to send it twice
    assert notifications.interrupted(message)
    admin = factories.with_role(Role.ADMIN)
    login(admin)
    assert "it may have arrived" in client.get("/admin/outbox").get_data(as_text=True)
    # Issue 18: one click does not send it twice: the admin is asked, and says they checked first.
    page = client.post(f"/admin/outbox/{message.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "This message may have arrived. Ask the recipient first" in page and recording.sent == []
    assert client.post(f"/admin/outbox/{message.id}/retry", data={"checked": "yes"}).status_code == 302
    assert recording.sent == [message.id]
    fresh = OutboxMessage(user_id=person.id, kind="order_ready", channel="sms", recipient=person.phone, locale="en", body="Hi",
                          status=OutboxStatus.SENDING, attempts=1, claimed_at=utcnow())
    db.session.add(fresh)
    db.session.commit()
    with pytest.raises(DomainError):  # still within its lease: its worker may be sending it right now
        notifications.retry(admin, fresh.id)


def test_when_redis_is_down_nothing_is_lost_and_the_sweep_sends_it_later(db, recording, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    message = _tell(factories.user("Daudi"), db)  # the request still succeeds
    assert message.status is OutboxStatus.PENDING and recording.sent == []
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    assert notifications.sweep(older_than=timedelta(minutes=2)) == 0  # too young: its job may still be on its way
    message.created_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert jobs.sweep() >= 1
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT and recording.sent == [message.id]


def test_photo_sizes_are_made_after_the_upload_and_the_original_is_forgotten(db, app, places, monkeypatch, client):
    from marketplace.catalog import services as catalog
    from marketplace.core.storage import get_private_storage

    farmer = factories.farmer(places["villages"]["Mbeu"])
    photo = catalog.upload_photos(farmer, [factories.photo_bytes(color=(77, 11, 140))])[0]  # inline: made right after the commit
    assert photo.ready and photo.display_width == 960
    with pytest.raises(FileNotFoundError):  # the original, with the phone's EXIF, is gone
        get_private_storage().open(photo.original_key)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # the queue is down
    waiting = catalog.upload_photos(farmer, [factories.photo_bytes(color=(10, 120, 30))])[0]
    original = waiting.original_key
    assert not waiting.ready and get_private_storage().open(original)
    listing = factories.listing(farmer, factories.categories()["maize"], title="Maize", photo_ids=[waiting.id])
    response = client.get(f"/listing/{listing.id}")
    assert response.status_code == 200 and "Maize" in response.get_data(as_text=True)
    assert "/media/" not in response.get_data(as_text=True)  # no broken picture while the sizes are being made
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    waiting.created_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    jobs.sweep()
    db.session.refresh(waiting)
    assert waiting.ready
    with pytest.raises(FileNotFoundError):
        get_private_storage().open(original)


def test_a_job_logs_with_the_id_of_the_request_that_queued_it(app, db, monkeypatch):
    import logging

    from flask import g

    from marketplace.core.logs import RequestIdFilter

    with app.test_request_context("/"):
        g.request_id = "req-42"
        jobs.enqueue("tests.record", "from a request")
        pending = db.session().info["pending_jobs"][-1]
        assert pending.request_id == "req-42"
        db.session.rollback()

    seen = []

    def _log_line():
        record = logging.LogRecord("marketplace", logging.INFO, __file__, 1, "working", None, None)
        RequestIdFilter().filter(record)
        seen.append(record.request_id)

    jobs.register(app, "tests.log_line", _log_line)

    class CurrentJob:  # what RQ's worker hands the job: its meta carries the id
        meta = {"request_id": pending.request_id}

    import rq

    monkeypatch.setattr(rq, "get_current_job", lambda: CurrentJob())
    jobs.perform("tests.log_line")
    assert seen == ["req-42"]


def test_a_message_the_gateway_accepted_keeps_its_id_and_is_never_sent_again(db, app, monkeypatch):
    """Issue 18: where the gateway gives a message id, it is recorded, and it settles any doubt."""
    from marketplace.notifications import channels

    class Gateway:
        def deliver(self, message):
            return "ATXid_42"

    monkeypatch.setitem(channels.BACKENDS, "ids", Gateway)
    monkeypatch.setitem(app.config, "NOTIFICATION_CHANNEL_BACKEND", "ids")
    person, admin = factories.user("Gathoni"), factories.with_role(Role.ADMIN)
    notifications.notify_user(person, "order_ready", lambda: ("", "Ready"))
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == person.id))
    assert message.status is OutboxStatus.SENT and message.provider_message_id == "ATXid_42"
    message.status, message.claimed_at = OutboxStatus.SENDING, utcnow() - timedelta(hours=1)  # as if interrupted after
    db.session.commit()
    with pytest.raises(DomainError, match="accepted"):
        notifications.retry(admin, message.id, checked_with_recipient=True)
