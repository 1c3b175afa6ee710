"""The mixed journey of `make loadtest`: buyers browse, search, fill a cart and check out paying on pickup;
farmers update stock; residents fill in and send the input-subsidy form with a photo of their ID.

Every request is named by its step, so the report gives requests/s, failures and p50/p95 per step.
A refusal the product is meant to give (sold out while in the cart) is not a failure; anything
else that is not the expected redirect or page is. Residents' references go to build/loadtest/submitted.txt
for the after-run check that no submission was lost.
"""
from __future__ import annotations

import io
import itertools
import json
import os
import random
import re
import threading
from pathlib import Path

from locust import HttpUser, between, events, task

BUILD = Path(os.environ.get("LOADTEST_DIR", "build/loadtest"))
SEED = json.loads((BUILD / "seed.json").read_text())
HOSTS = [h for h in os.environ.get("LOADTEST_HOSTS", "").split(",") if h]  # several: spread users over them
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SUBSIDY = "agricultural-input-subsidy"
_counters = {kind: itertools.count() for kind in ("buyers", "farmers", "residents", "hosts")}
_lock = threading.Lock()
OUTCOMES = {"sold_out": 0, "orders_placed": 0, "applications_sent": 0, "stock_updates": 0}


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (190, 170, 150)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


ID_PHOTO = _jpeg()


def _count(outcome: str) -> None:
    with _lock:
        OUTCOMES[outcome] += 1


@events.quitting.add_listener
def _write_outcomes(environment, **_kwargs):
    (BUILD / "outcomes.json").write_text(json.dumps(OUTCOMES))


THINK = [float(x) for x in os.environ.get("LOADTEST_THINK", "1,3").split(",")]  # seconds between a person's steps


class Person(HttpUser):
    abstract = True
    wait_time = between(*THINK)
    kind = ""

    def on_start(self):
        if HOSTS:  # no proxy in front: the load test spreads the users over the app servers itself
            self.client.base_url = HOSTS[next(_counters["hosts"]) % len(HOSTS)]
        accounts = SEED[self.kind]
        self.account = accounts[next(_counters[self.kind]) % len(accounts)]
        phone = self.account["phone"] if isinstance(self.account, dict) else self.account
        token = self.csrf("/login", "login form")
        with self.client.post("/login", data={"identifier": phone, "password": SEED["password"], "csrf_token": token},
                              name="sign in", allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"sign in answered {response.status_code}")
        self.phone = phone

    def csrf(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            found = CSRF.search(response.text or "")
            if response.status_code != 200 or not found:
                response.failure(f"{path}: {response.status_code}, no form token")
                return ""
            return found.group(1)

    def expect_redirect(self, response, to: str = "") -> bool:
        location = response.headers.get("Location", "")
        if response.status_code != 302 or to not in location:
            response.failure(f"expected a redirect to {to!r}, got {response.status_code} {location}")
            return False
        response.success()
        return True


class Buyer(Person):
    weight = 6
    kind = "buyers"

    @task(3)
    def browse(self):
        self.client.get("/", name="home")
        self.client.get("/produce", name="browse")
        found = self.client.get("/produce?q=" + random.choice(["tomatoes", "maize", "peppers"]), name="search")
        # A listing the search just showed (a sold-out one is no longer public: 404 is its right answer).
        listings = re.findall(r'href="/listing/(\d+)"', found.text or "")
        if listings:
            listing = random.choice(listings)
            with self.client.get(f"/listing/{listing}", name="listing", catch_response=True) as response:
                if response.status_code == 404 and listing in SEED["scarce"]:
                    _count("sold_out")  # sold out between the search and the click: no longer public
                    response.success()

    @task(2)
    def buy(self):
        scarce = random.random() < 0.6
        listing = random.choice(list(SEED["scarce"])) if scarce else random.choice(
            [i for ids in SEED["plentiful"].values() for i in ids])
        with self.client.post(f"/cart/add/{listing}", data={"quantity": random.choice(["1", "2", "3"])}, name="add to cart",
                              allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"add to cart answered {response.status_code}")
                return
            if "/cart" not in response.headers.get("Location", ""):
                _count("sold_out")  # the product's own refusal: not enough left
                response.success()
                return
        self.client.get("/cart", name="cart")
        with self.client.get("/checkout", name="checkout page", catch_response=True, allow_redirects=False) as page:
            if page.status_code == 302:  # the cart emptied meanwhile (its listing sold out)
                page.success()
                return
            token = CSRF.search(page.text or "")
            if page.status_code != 200 or not token:
                page.failure(f"checkout page {page.status_code}")
                return
        data = {"csrf_token": token.group(1)}
        once = re.search(r'name="submission_key" value="([^"]+)"', page.text)
        if once:  # as a browser sends it: a retried "place order" then makes no second order
            data["submission_key"] = once.group(1)
        for farmer in set(re.findall(r'name="fulfilment-(\d+)"', page.text)):
            data[f"fulfilment-{farmer}"] = "pickup"
            data[f"payment-{farmer}"] = "on_pickup"
            slot = re.search(rf'name="slot-{farmer}"[^>]*>\s*(?:<option[^>]*value="([^"]*)")', page.text)
            if slot:
                data[f"slot-{farmer}"] = slot.group(1)
        with self.client.post("/checkout", data=data, name="place order", allow_redirects=False, catch_response=True) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 302 and "/checkout/" in location:
                _count("orders_placed")
                response.success()
            elif response.status_code == 302 and location.endswith("/cart"):
                _count("sold_out")  # someone else took the last kilos between cart and checkout
                response.success()
            else:
                response.failure(f"place order answered {response.status_code} {location}")

    @task(1)
    def my_orders(self):
        self.client.get("/orders", name="my orders")


class Farmer(Person):
    weight = 2
    kind = "farmers"

    @task(3)
    def update_stock(self):
        token = self.csrf("/sell", "farmer dashboard")
        listing = random.choice(SEED["plentiful"][self.phone])
        with self.client.post(f"/sell/{listing}/stock", data={"stock": str(random.randint(100, 600)), "csrf_token": token},
                              name="update stock", allow_redirects=False, catch_response=True) as response:
            if self.expect_redirect(response, "/sell"):
                _count("stock_updates")

    @task(1)
    def orders(self):
        self.client.get("/sell/orders", name="orders to prepare")


class Resident(Person):
    weight = 2
    kind = "residents"

    @task
    def apply(self):
        self.client.get("/services", name="services")
        token = self.csrf(f"/services/{SUBSIDY}", "service page")
        with self.client.post(f"/services/{SUBSIDY}/start", data={"csrf_token": token}, name="start application",
                              allow_redirects=False, catch_response=True) as response:
            if not self.expect_redirect(response, "/step/1"):
                return
            key = re.search(r"/applications/([^/]+)/step/", response.headers["Location"]).group(1)
        steps = [
            {"full_name": self.account["name"], "national_id": str(random.randint(10_000_000, 99_999_999)),
             "phone": self.account["phone"], "home_village": str(self.account["village_id"])},
            {"farm_size": "1.5", "crops": ["maize", "beans"], "irrigated": "no"},
            {},
            {"input_type": "both", "bags": "4", "last_harvest": "2026-08-01"},
        ]
        for number, fields in enumerate(steps, start=1):
            with self.client.post(f"/applications/{key}/step/{number}", data={**fields, "csrf_token": token},
                                  name=f"form step {number}", allow_redirects=False, catch_response=True) as response:
                if not self.expect_redirect(response, f"/applications/{key}/"):
                    return
        with self.client.post(f"/applications/{key}/step/5", data={"csrf_token": token}, files={"id_copy": ("id.jpg", ID_PHOTO, "image/jpeg")},
                              name="form step 5 (ID photo)", allow_redirects=False, catch_response=True) as response:
            if not self.expect_redirect(response, "/check"):
                return
        self.client.get(f"/applications/{key}/check", name="check answers")
        with self.client.post(f"/applications/{key}/submit", data={"declared": "y", "csrf_token": token}, name="send application",
                              allow_redirects=False, catch_response=True) as response:
            if self.expect_redirect(response, f"/applications/{key}"):
                _count("applications_sent")
                with _lock, (BUILD / "submitted.txt").open("a") as sent:
                    sent.write(key + "\n")
        self.client.get(f"/applications/{key}", name="my application")
