"""Messages as an attacker sees them: another person's inbox, the admins' outbox (issue 17)."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.notifications.models import InboxMessage, OutboxMessage, OutboxStatus
from marketplace.notifications.services import notify_user
from tests import factories


def test_nobody_reads_or_marks_another_persons_message(client, login, places, db):
    owner, other = factories.user("Owner"), factories.user("Other")
    notify_user(owner, "order_placed", lambda: ("Subject", "Your order ORD-1 is placed"))
    db.session.commit()
    message = db.session.scalar(select(InboxMessage).where(InboxMessage.user_id == owner.id))
    login(other)
    assert "ORD-1" not in client.get("/inbox").get_data(as_text=True)
    assert client.post(f"/inbox/{message.id}/read").status_code == 404
    db.session.refresh(message)
    assert message.read_at is None


def test_only_admins_see_the_outbox_or_send_a_message_again(client, login, places, db):
    person = factories.user("Person")
    failed = OutboxMessage(user_id=person.id, kind="order_placed", channel="sms", recipient=person.phone, locale="en",
                           body="hello", status=OutboxStatus.FAILED)
    db.session.add(failed)
    db.session.commit()
    for who in (person, factories.with_role(Role.AGENT), factories.with_role(Role.OFFICIAL, places["departments"]["AGR"])):
        login(who)
        assert client.get("/admin/outbox").status_code == 403
        assert client.post(f"/admin/outbox/{failed.id}/retry").status_code == 403
        client.post("/logout")
    db.session.refresh(failed)
    assert failed.status is OutboxStatus.FAILED
