"""Every operation of the OpenAPI description the app serves, with generated parameters: no 5xx,
and every response (status, content type, headers, body) matches the description."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from marketplace.api.openapi import openapi_document

# The same document /api/v1/openapi.json serves (a test below checks they are equal); loaded at import
# because schemathesis generates the test cases when the module is collected.
schema = schemathesis.openapi.from_dict(openapi_document("http://localhost"))


def test_the_served_description_is_the_one_tested(client, app):
    served = client.get("/api/v1/openapi.json", headers={"Host": "attacker.example"}).get_json()
    assert served == openapi_document(app.config["PUBLIC_BASE_URL"])  # the public address, never the Host header
    assert {**served, "servers": None} == {**openapi_document("http://localhost"), "servers": None}


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_described(case, app, published):
    case.call_and_validate(app=app)
