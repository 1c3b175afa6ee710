"""Every GET route, fed odd text in its path and in every query parameter the code reads, answers
without a server error, for anonymous visitors and for each signed-in role (Hypothesis).

The parameter names are read from the source (`request.args.get("…")`, `params.int_arg("…")`…),
so a parameter added later is fuzzed without anyone remembering to list it.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.accounts.models import Role
from marketplace.extensions import db
from tests import factories

SOURCE = Path(__file__).resolve().parent.parent / "marketplace"
_READS = re.compile(
    r"""(?:request\.(?:args|values|form)\.(?:get|getlist)|params\.(?:int_arg|id_arg|page_arg|date_arg)|args\.get)\(\s*["'](\w+)["']""")
#: Read by WTForms from the query string (a GET filter form), not by name in a view.
FORM_FIELDS_ON_GET = {"start", "end"}
#: Not pages: the gateway's callbacks are POST only, and these stream or redirect without HTML.
SKIPPED_ENDPOINTS = {"static"}

#: The inputs the last black-box test found answering 500, and their relatives.
ODD_VALUES = ["²", "٣", "99999999999999999999999", "9" * 40, "-99999999999", "-1", "0", "1", "2", "9999-12-31",
              "0000-00-00", "2026-02-30", "1e9", "0x10", " 1", "1.5", "", "%", "NaN", "∞", "ä", "../", "<script>", "'", '"']


EXAMPLES_PER_ROUTE = 12


def parameter_names() -> list[str]:
    names = set(FORM_FIELDS_ON_GET)
    for path in SOURCE.rglob("*.py"):
        names.update(_READS.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


def names_read_by(app, rule) -> list[str]:
    """The parameters this route's view reads (its own source, and the helpers it names in this
    module); every known name when none is found, so a route reading through a form is not spared."""
    import inspect

    view = inspect.unwrap(app.view_functions[rule.endpoint])
    try:
        module = inspect.getsource(inspect.getmodule(view))
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return parameter_names()
    helpers = set(re.findall(r"\b(_\w+)\(", source))
    for helper in helpers:  # one level down: _filters_from_args(), _resident_for_agent()…
        match = re.search(rf"\ndef {helper}\(.*?(?=\n(?:def |@|class ))", module, re.S)
        if match:
            source += match.group(0)
    own = sorted(set(_READS.findall(source)))
    return own or parameter_names()


def get_rules(app) -> list:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and rule.endpoint not in SKIPPED_ENDPOINTS), key=lambda r: r.rule)


odd_text = st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=30),
                     st.integers(min_value=-(2**70), max_value=2**70).map(str))
#: Values that pass the first checks (ids of rows the fixture made, a unit, a category, a date), so
#: one odd parameter among plausible ones reaches the code behind them (the scan found
#: /prices/trend?category=1&region=1&unit=<a URL> answering 500 that way).
PLAUSIBLE = ["1", "2", "kg", "dozen", "maize", "eggs", "tomatoes-peppers", "2026-11-01", "received", "roads", "AGR", "csv"]
#: A value each parameter takes while another one is made odd ("1": an id of a row the fixture made).
BASELINE = {"unit": "kg", "category": "1", "q": "maize", "from": "2026-11-01", "to": "2026-11-30", "start": "2026-11-01",
            "end": "2026-11-30", "status": "received", "lang": "en", "format": "csv", "sort": "newest"}


def baseline(name: str) -> str:
    return BASELINE.get(name, "1")


def fill_path(rule, values: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        return quote(values.get(match.group(2), "1"), safe="")

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", replace, rule.rule)


@pytest.fixture
def people(places):
    """Someone of every role, and a little of everything for ids 1 and 2 to find."""
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"])
    factories.listing(farmer, cats["tomatoes-peppers"], title="Tomatoes", unit="kg", price="120", stock="10")
    db.session.commit()
    return {
        "anonymous": None,
        "buyer": factories.user("Buyer"),
        "farmer": farmer,
        "agent": factories.with_role(Role.AGENT),
        "official": factories.with_role(Role.OFFICIAL, places["departments"]["AGR"]),
        "admin": factories.with_role(Role.ADMIN),
    }


@pytest.mark.parametrize("role", ["anonymous", "buyer", "farmer", "agent", "official", "admin"])
def test_no_get_route_answers_a_server_error_to_odd_parameters(app, client, login, people, role):
    if people[role] is not None:
        login(people[role])
    rules = get_rules(app)
    names = parameter_names()
    assert len(rules) > 50 and {"page", "district", "older_than", "end"} <= set(names)
    per_route = {rule.rule: names_read_by(app, rule) for rule in rules}
    assert {"category", "unit", "region", "district"} <= set(per_route["/prices/trend"])

    def fuzz(rule) -> None:
        names_here = per_route[rule.rule]

        @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
        @given(path_text=st.one_of(st.sampled_from(PLAUSIBLE), odd_text), query_data=st.data())
        def one_request(path_text, query_data):
            # Every parameter plausible but one or two, which get odd text: an odd value then reaches
            # the code behind the checks the others pass.
            query = {name: baseline(name) for name in names_here if query_data.draw(st.booleans())}
            for broken in query_data.draw(st.lists(st.sampled_from(names_here), min_size=1, max_size=2, unique=True)):
                query[broken] = query_data.draw(odd_text)
            url = fill_path(rule, {argument: path_text for argument in rule.arguments})
            if query:
                url += "?" + urlencode(query)
            response = client.get(url)
            assert response.status_code < 500, f"{url} answered {response.status_code}"

        one_request()

    for rule in rules:  # each route its own examples: one shared draw favours the first routes
        fuzz(rule)


def test_the_reported_odd_numbers_get_a_translated_400_or_404(client, login, people):
    login(people["admin"])
    for url in ["/listing/99999999999999999999999", "/activity?page=99999999999999999999", "/admin/users/99999999999999999999",
                "/produce?page=²", "/admin/payouts?end=9999-12-31", "/produce?district=²"]:
        assert client.get(url).status_code in (400, 404), url
    client.post("/logout")
    login(people["official"])
    response = client.get("/official/queue?older_than=-99999999999&lang=fr")
    assert response.status_code == 400 and "<html lang=\"fr\"" in response.get_data(as_text=True)
