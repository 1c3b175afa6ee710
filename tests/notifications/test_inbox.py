"""The site's inbox: every message is readable here, in the person's language, and marked read without JavaScript."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.catalog.moderation import hide_listing
from marketplace.core.errors import NotFound
from marketplace.notifications import inbox
from marketplace.notifications.models import InboxMessage, OutboxMessage
from tests import factories


@pytest.fixture
def hidden_listing(places):
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru", locale="es")
    listing = factories.listing(farmer, cats["maize"], title="Dry maize")
    hide_listing(factories.with_role(Role.ADMIN), listing, "Photo shows another product")
    return farmer, listing


def test_a_message_sent_by_sms_is_also_in_the_inbox_in_the_persons_language(hidden_listing, db):
    farmer, listing = hidden_listing
    sms = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == farmer.id))
    message = db.session.scalar(select(InboxMessage).where(InboxMessage.user_id == farmer.id))
    assert sms.channel.value == "sms" and message.body == sms.body and "ocultado" in message.body
    assert message.locale == "es" and message.read_at is None and message.topic == "listings"
    assert message.link == f"/sell/{listing.id}/edit"
    assert inbox.unread_count(farmer) == 1


def test_the_header_counts_unread_and_a_plain_form_marks_one_read(client, login, hidden_listing, db):
    farmer, _listing = hidden_listing
    login(farmer)
    page = client.get("/inbox?lang=en").get_data(as_text=True)
    assert re.search(r'Messages <span class="badge">1<span class="visually-hidden"> unread message</span>', page)
    assert "Photo shows another product" in page and 'lang="es"' in page
    message = db.session.scalar(select(InboxMessage).where(InboxMessage.user_id == farmer.id))
    response = client.post(f"/inbox/{message.id}/read", data={"page": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/inbox?page=1#message-{message.id}")
    page = client.get("/inbox").get_data(as_text=True)
    assert 'class="badge"' not in page and "Mark as read" not in page
    db.session.expire_all()
    assert db.session.get(InboxMessage, message.id).read_at is not None


def test_nobody_reads_or_marks_another_persons_messages(client, login, hidden_listing, db):
    farmer, _listing = hidden_listing
    message = db.session.scalar(select(InboxMessage).where(InboxMessage.user_id == farmer.id))
    stranger = factories.user("Stranger")
    with pytest.raises(NotFound):
        inbox.mark_read(stranger, message.id)
    login(stranger)
    assert "Photo shows another product" not in client.get("/inbox").get_data(as_text=True)
    assert client.post(f"/inbox/{message.id}/read").status_code == 404
    assert client.post("/inbox/read-all").status_code == 302
    db.session.expire_all()
    assert db.session.get(InboxMessage, message.id).read_at is None


def test_mark_all_read_and_pages_of_twenty(client, login, places, db):
    from marketplace.notifications.services import notify_user

    person = factories.user("Busy Person")
    for n in range(23):
        notify_user(person, "order_ready_for_pickup", lambda n=n: (f"Order {n:02d}", f"Order {n:02d} is ready."))
    db.session.commit()
    assert inbox.unread_count(person) == 23
    first = inbox.inbox_page(person, 1)
    assert len(first.messages) == 20 and first.has_next and first.messages[0].subject == "Order 22"
    second = inbox.inbox_page(person, 2)
    assert [m.subject for m in second.messages] == ["Order 02", "Order 01", "Order 00"] and not second.has_next
    login(person)
    assert 'rel="next"' in client.get("/inbox").get_data(as_text=True)
    client.post("/inbox/read-all")
    assert inbox.unread_count(person) == 0


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/inbox").status_code == 302
    assert client.get("/activity").status_code == 302
    assert client.get("/profile/notifications").status_code == 302
