"""The open-data API as an attacker sees it: no credentials across origins, no person in any record,
odd parameters answered in JSON (issue 17, ASVS V13)."""
from __future__ import annotations


def test_cors_never_carries_credentials(client):
    response = client.get("/api/v1/prices", headers={"Origin": "https://elsewhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_odd_parameters_get_a_json_400_not_a_page_or_a_500(client):
    for query in ("page=²", "page=99999999999999999999", "per_page=-1", "category=%00"):
        response = client.get(f"/api/v1/prices?{query}")
        assert response.status_code == 400 and response.is_json, query
    # A control character alone, or last (Python's $ matches before a final newline): not printable text.
    for query in ("district=%0A", "district=N-HIL%0A", "region=%09"):
        response = client.get(f"/api/v1/reports?{query}")
        assert response.status_code == 400 and response.is_json, query


def test_the_api_answers_only_reads(client):
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/api/v1/reports").status_code == 405


def test_the_api_root_lists_its_collections_instead_of_a_404(client):
    """Issue 20: /api/v1/ was a 404."""
    answer = client.get("/api/v1/")
    body = answer.get_json()
    assert answer.status_code == 200 and body["openapi"].endswith("/api/v1/openapi.json")
    paths = {c["href"].split("/api/v1/")[1] for c in body["collections"]}
    assert paths == {"prices", "performance", "food-miles", "reports"}
    for collection in body["collections"]:
        assert client.get("/api/v1/" + collection["href"].split("/api/v1/")[1]).status_code == 200


def test_the_api_and_the_report_page_count_the_same_people(client, login, places, db):
    """Issue 20: the reports API said 0 supporters where the page said 1 (the reporter)."""
    from marketplace.voice import services as voice
    from tests import factories

    resident = factories.user("Reporter", village=places["villages"]["Mbeu"])
    report = voice.file_report(resident, voice.ReportInput(category="water", village_id=places["villages"]["Mbeu"].id,
                                                                    description="The borehole pump is broken since Monday."))
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    (record,) = client.get("/api/v1/reports").get_json()["data"]
    assert record["supporters"] == report.people_who_care == 1 and "<dd>1</dd>" in page
