import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import FarmerProfile
from tests import factories


def test_foreign_keys_are_enforced_on_every_database(db, places):
    db.session.add(FarmerProfile(user_id=987654, farm_name="Ghost farm", village_id=places["villages"]["Mbeu"].id, pickup_point="x"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def _note(person, n, **more):
    from marketplace.notifications.models import InboxMessage

    return InboxMessage(user_id=person.id, kind="order_placed", topic="orders", locale="en", body=f"note {n}", **more)


def test_rows_written_by_one_insert_are_kept_as_loaded_rows(db, places, count_queries):
    """insert_loaded/keep_loaded (a checkout's write): one INSERT for all the rows, each gets its own key
    in order, and the session holds them with nothing left to flush; what they left unset is the
    database's default, read when first asked for."""
    from marketplace.core.db import insert_loaded, keep_loaded
    from marketplace.notifications.models import InboxMessage

    person = factories.user("Wanjiru")
    notes = [_note(person, n) for n in range(3)]
    with count_queries() as counted:
        insert_loaded(db.session, notes)
    # SQLite cannot return the keys of a multi-row INSERT in order: there, one INSERT per row.
    assert counted.n == (1 if db.engine.dialect.name == "postgresql" else 3)
    with count_queries() as counted:
        keep_loaded(db.session, notes)
        db.session.flush()
    assert counted.n == 0
    assert not db.session.new and not db.session.dirty and all(note in db.session for note in notes)
    stored = db.session.execute(select(InboxMessage.id, InboxMessage.body).where(InboxMessage.user_id == person.id)
                                .order_by(InboxMessage.id)).all()
    assert [(note.id, note.body) for note in notes] == [tuple(row) for row in stored]
    assert notes[0].created_at is not None and notes[0].subject == ""  # defaults, read back on first use
    notes[1].subject = "changed"  # persistent: a change is an UPDATE of that row
    db.session.commit()
    assert db.session.scalar(select(InboxMessage.subject).where(InboxMessage.id == notes[1].id)) == "changed"
    assert db.session.scalar(select(func.count()).select_from(InboxMessage).where(InboxMessage.user_id == person.id)) == 3


def test_writing_rows_refuses_what_a_flush_would_write_again_or_one_insert_cannot(db, places):
    from marketplace.core.db import insert_loaded

    person = factories.user("Wanjiru")
    added = _note(person, 1)
    db.session.add(added)
    with pytest.raises(ValueError, match="already in a session"):
        insert_loaded(db.session, [added])
    db.session.expunge(added)
    with pytest.raises(ValueError, match="same columns"):
        insert_loaded(db.session, [_note(person, 2), _note(person, 3, link="/orders/K7P2QX")])
