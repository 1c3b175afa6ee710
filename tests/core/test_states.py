"""core.states: a machine is its table; a transition emits its event to the subscribers a domain
registered in init_app (issue 19)."""
from __future__ import annotations

import enum

import pytest

from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.core.states import SYSTEM, Machine, channel, subscribe


class Light(str, enum.Enum):
    OFF = "off"
    ON = "on"


MACHINE = Machine("light", [(None, Light.OFF, ["owner"], "installed"), (Light.OFF, Light.ON, ["owner", SYSTEM], "lit")])


def test_the_table_decides_and_says_why_not():
    assert MACHINE.check(Light.OFF, Light.ON, SYSTEM, "no", "not yours").event == "lit"
    assert MACHINE.targets(Light.OFF, "owner") == [Light.ON] and MACHINE.targets(Light.ON, "owner") == []
    with pytest.raises(DomainError, match="no"):
        MACHINE.check(Light.ON, Light.OFF, "owner", "no", "not yours")
    with pytest.raises(PermissionDenied, match="not yours"):
        MACHINE.check(Light.OFF, Light.ON, "neighbour", "no", "not yours")
    with pytest.raises(ValueError):
        Machine("twice", [(Light.OFF, Light.ON, ["a"], "x"), (Light.OFF, Light.ON, ["b"], "y")])


def test_an_orders_move_reaches_its_subscribers_with_the_order(app, db, monkeypatch, places):
    from marketplace.orders import cart, services
    from marketplace.orders.checkout import place_checkout
    from marketplace.orders.models import OrderStatus
    from tests import factories

    monkeypatch.setitem(app.extensions, "state_subscribers", {})
    heard = []
    subscribe(app, "order.ready", lambda order: heard.append(order.number))
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    listing = factories.listing(farmer, factories.categories()["eggs"], unit="dozen", price="240", stock="5")
    buyer = factories.user("Amina")
    cart.add_to_cart(buyer, {}, listing.id, "1")
    order = place_checkout(buyer, {}, {}).orders[0]
    assert heard == []
    services.move(farmer, order, OrderStatus.READY_FOR_PICKUP)
    assert heard == [order.number]


def test_the_channel_is_the_requests_or_a_jobs(app):
    with app.app_context():
        assert channel() == "job"
    with app.test_request_context("/"):
        assert channel() == "web"
