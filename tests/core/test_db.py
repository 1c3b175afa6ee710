import pytest
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import FarmerProfile


def test_foreign_keys_are_enforced_on_every_database(db, places):
    db.session.add(FarmerProfile(user_id=987654, farm_name="Ghost farm", village_id=places["villages"]["Mbeu"].id, pickup_point="x"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
