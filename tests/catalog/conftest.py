import pytest

from marketplace.accounts.models import Role
from tests import factories


@pytest.fixture
def cats(app):
    return factories.categories()


@pytest.fixture
def farmer(places):
    return factories.farmer(places["villages"]["Mbeu"], "Wanjiru")


@pytest.fixture
def other_farmer(places):
    return factories.farmer(places["villages"]["Tala"], "Otieno")


@pytest.fixture
def agent(places):
    return factories.with_role(Role.AGENT)


@pytest.fixture
def admin(places):
    return factories.with_role(Role.ADMIN)


@pytest.fixture(autouse=True)
def _media_in_tmp(app, tmp_path):
    """Each test stores media in its own folder."""
    from marketplace.core.storage import LocalStorage

    previous = app.extensions["media_storage"]
    app.extensions["media_storage"] = LocalStorage(tmp_path / "media")
    yield
    app.extensions["media_storage"] = previous
