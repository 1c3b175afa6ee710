"""A real `flask worker` killed (SIGKILL) in the middle of sending a farmer's payout to M-Pesa: the
payout is sent once, whatever runs after (issue 21: "a worker killed mid-payout (sent once)").

The worker claims the payout and commits the claim, then asks the fake Daraja, which takes the
request and keeps the worker waiting for its answer; the worker is killed there. RQ hands the
abandoned job to the next worker, which finds the payout already claimed and sends nothing; the
sweeper marks it unknown for an admin; the reconciliation asks M-Pesa by our own id and lists it as
paid there, so nobody sends it again.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from marketplace.core import jobs
from marketplace.core.money import Money
from marketplace.orders import services as orders
from marketplace.orders.checkout import FarmerChoice, place_checkout
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments import mobile_payouts, reconciliation
from marketplace.payments import services as payment_services
from marketplace.payments.models import DifferenceKind, MobilePayout, MobilePayoutStatus
from tests.core.test_worker import _kill_group

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OUT = MobilePayoutStatus


@pytest.fixture
def queued(app, db, redis_url, monkeypatch, database_url, mpesa_on, tmp_path):
    """Jobs go to this test's own queue on Redis; `worker()` starts a `flask worker` with the same settings
    (M-Pesa against the fake Daraja)."""
    settings = {"REDIS_URL": redis_url, "JOB_QUEUE": f"test-{uuid.uuid4().hex[:12]}"}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    env = {**os.environ, **settings, "APP_MODE": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
           "FLASK_APP": "wsgi", "PYTHONUNBUFFERED": "1", "MEDIA_ROOT": app.config["MEDIA_ROOT"],
           "PRIVATE_MEDIA_ROOT": app.config["PRIVATE_MEDIA_ROOT"],
           **{key: str(app.config[key]) for key in ("MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET", "MPESA_SHORTCODE", "MPESA_PASSKEY",
                                                  "MPESA_CALLBACK_SECRET", "MPESA_API_BASE", "MPESA_INITIATOR_NAME",
                                                  "MPESA_SECURITY_CREDENTIAL", "PLATFORM_FEE_BASIS_POINTS")}}
    started: list[subprocess.Popen] = []

    def worker(burst: bool = True) -> subprocess.Popen:
        log = tmp_path / f"worker-{len(started)}.log"
        with log.open("w") as output:
            process = subprocess.Popen([sys.executable, "-m", "flask", "worker"] + (["--burst"] if burst else []), cwd=PROJECT_ROOT,
                                       env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        process.log = log
        started.append(process)
        if burst:
            process.wait(timeout=90)
            assert process.returncode == 0, log.read_text()
            db.session.rollback()
        return process

    yield worker
    if mpesa_on.hold_payouts is not None:
        mpesa_on.hold_payouts.set()
    for process in started:
        _kill_group(process)
    jobs.queue().empty()


def test_a_worker_killed_while_m_pesa_holds_the_payout_request_sends_it_once(client, market, mpesa_on, db, queued):
    from rq.registry import StartedJobRegistry

    checkout = place_checkout(market["buyer"], {}, {market[f].id: FarmerChoice(payment_method="mobile_money")
                                                   for f in ("wanjiru", "otieno")})
    payment_services.start_mobile_payment(purpose="checkout_mobile", reference=checkout.reference,
                                          amount=Money("KES", checkout.total_minor), payer_id=market["buyer"].id, phone="+254712000999")
    client.post("/payments/mpesa/callback/test-mpesa", json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False))
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.farmer_id == market["wanjiru"].id))
    farmer = market["wanjiru"]
    orders.move(farmer, order, OrderStatus.READY_FOR_PICKUP)
    orders.move(farmer, order, OrderStatus.COLLECTED, pickup_code=order.pickup_code or "")
    mpesa_on.hold_payouts = threading.Event()
    orders.move(farmer, order, OrderStatus.COMPLETED)  # the payout job goes to Redis, not run here
    assert mpesa_on.payouts == []

    running = queued(burst=False)
    deadline = time.monotonic() + 60
    while not mpesa_on.payouts:  # the worker claimed it, committed, and Daraja has the request
        if time.monotonic() > deadline or running.poll() is not None:
            pytest.fail(f"the worker never reached Daraja:\n{running.log.read_text()}")
        time.sleep(0.1)
    _kill_group(running)  # SIGKILL while it waits for Daraja's answer
    mpesa_on.hold_payouts.set()
    mpesa_on.hold_payouts = None

    db.session.expire_all()
    payout = db.session.scalar(select(MobilePayout))
    assert payout.status is OUT.SENDING and payout.conversation_id == "" and payout.attempts == 1

    # The next worker's maintenance, once the dead worker's heartbeat has expired: the job goes back on the queue.
    StartedJobRegistry(queue=jobs.queue()).cleanup(timestamp=time.time() + 3600)
    queued(burst=True)
    assert len(mpesa_on.payouts) == 1  # the job ran again and found the payout claimed: nothing sent

    mobile_payouts.PAYOUT_LEASE = timedelta(0)
    try:
        mobile_payouts.sweep_payouts(timedelta(minutes=5))
    finally:
        mobile_payouts.PAYOUT_LEASE = timedelta(minutes=10)
    db.session.expire_all()
    payout = db.session.scalar(select(MobilePayout))
    assert payout.status is OUT.UNKNOWN and [p.id for p in mobile_payouts.payouts_to_check()] == [payout.id]

    # M-Pesa did pay it: the reconciliation asks by our own id and tells the admin not to send it again.
    mpesa_on.payouts[0].result, mpesa_on.payouts[0].receipt = 0, "SLP7777777"
    reconciliation.reconcile_day(datetime.now(ZoneInfo("Africa/Nairobi")).date())
    question = mpesa_on.questions.pop(0)
    assert question.originator_id == payout.originator_id
    assert client.post(urlsplit(question.result_url).path, json=mpesa_on.status_body(question)).get_json()["outcome"] == "answered"
    (difference,) = [d for d in reconciliation.open_differences() if d.kind is DifferenceKind.PAID_THERE]
    assert difference.receipt == "SLP7777777" and "unknown" in difference.detail
    assert len(mpesa_on.payouts) == 1  # sent once, from first to last
