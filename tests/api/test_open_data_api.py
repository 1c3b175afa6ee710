"""The public API: JSON and CSV of the same records, filters, pages, cache headers, CORS, no personal data."""
from __future__ import annotations

import csv
import io

from marketplace import create_app


def test_prices_as_json_with_licence_and_cache_headers(client, published):
    response = client.get("/api/v1/prices?district=N-HIL")
    body = response.get_json()
    assert response.status_code == 200 and body["licence"] == "CC BY 4.0" and body["has_next"] is False
    [cell] = [r for r in body["data"] if r["unit"] == "kg"]
    assert (cell["ask_p10_minor"], cell["ask_median_minor"], cell["ask_p90_minor"]) == (10600, 13500, 18500)
    assert cell["district"] == "N-HIL" and cell["region"] == "N" and cell["currency"] == "KES"
    assert response.headers["Cache-Control"] == "public, max-age=300" and response.headers["ETag"]
    again = client.get("/api/v1/prices?district=N-HIL", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    regions = client.get("/api/v1/prices?level=region").get_json()["data"]
    assert {r["district"] for r in regions} == {None}
    assert client.get("/api/v1/prices?district=N-LAK").get_json()["data"] == []  # two farmers: never published
    assert client.get("/api/v1/prices?district=NOWHERE").get_json()["data"] == []


def test_the_same_records_as_csv_by_suffix_or_accept_header(client, published):
    json_rows = client.get("/api/v1/prices").get_json()["data"]
    by_suffix = client.get("/api/v1/prices.csv")
    by_header = client.get("/api/v1/prices", headers={"Accept": "text/csv"})
    assert by_suffix.mimetype == by_header.mimetype == "text/csv" and by_suffix.data == by_header.data
    rows = list(csv.DictReader(io.StringIO(by_suffix.get_data(as_text=True))))
    assert len(rows) == len(json_rows) and rows[0]["ask_median_minor"] == str(json_rows[0]["ask_median_minor"])
    assert "attachment" in by_suffix.headers["Content-Disposition"]


def test_reports_in_the_api_and_csv_never_carry_the_reporter_or_their_words(client, published):
    rows = client.get("/api/v1/reports").get_json()["data"]
    assert [r["id"] for r in rows] == [published["shown"].id]  # the hidden one is left out
    assert rows[0]["category"] == "roads" and rows[0]["department"] == "PWK" and rows[0]["district"] == "N-HIL"
    text = client.get("/api/v1/reports.csv").get_data(as_text=True) + str(rows)
    for secret in ("Wanjiku", "Mwangi", published["resident"].phone, "bridge", "tap at house"):
        assert secret not in text
    assert client.get("/api/v1/reports?status=fixed").get_json()["data"] == []
    assert client.get("/api/v1/reports?category=roads&district=N-HIL").get_json()["data"][0]["id"] == published["shown"].id


def test_filters_by_date_and_pages(client, published):
    from marketplace.core.timeutils import utcnow

    today = utcnow().date().isoformat()
    assert client.get(f"/api/v1/prices?from={today}&to={today}").get_json()["data"]
    assert client.get("/api/v1/prices?from=2001-01-01&to=2001-01-31").get_json()["data"] == []
    first = client.get("/api/v1/prices?per_page=1&level=region").get_json()
    assert len(first["data"]) == 1 and first["page"] == 1
    bad = client.get("/api/v1/prices?from=yesterday")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_json()["error"]
    assert client.get("/api/v1/reports?per_page=501").status_code == 400
    assert client.get("/api/v1/reports?status=lost").status_code == 400


def test_any_site_may_read_the_api_but_nothing_else(client, published):
    response = client.get("/api/v1/reports", headers={"Origin": "https://news.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/reports", headers={"Origin": "https://news.example"}).headers
    assert client.post("/api/v1/reports").status_code == 405


def test_the_api_is_rate_limited(database_url, places):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                      "RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute"})
    client = app.test_client()
    statuses = [client.get("/api/v1/performance").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_the_openapi_description_and_its_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0" and spec["info"]["license"]["name"] == "CC BY 4.0"
    assert set(spec["paths"]) == {"/api/v1/prices", "/api/v1/performance", "/api/v1/food-miles", "/api/v1/reports"}
    page = client.get("/open-data").get_data(as_text=True)
    assert "/api/v1/openapi.json" in page and "CC BY 4.0" in page
