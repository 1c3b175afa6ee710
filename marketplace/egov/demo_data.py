"""Demo applications for `flask seed-demo`, filed and decided through the real services: the demo
resident has one approved application (with its certificate and verification code), one rejected
with its reason, and the demo official has a neighbour's application waiting in the queue. So a
fresh install shows every state a resident and an official meet, not only empty lists.

Each step is filled as a person would fill the page: the step's own form, validated by the form
engine, saved by `save_step`. The seed is not a browser, so the form has no CSRF token to check.
"""
from __future__ import annotations

import io
from datetime import timedelta

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from marketplace.accounts.api import User
from marketplace.core.timeutils import utcnow
from marketplace.egov import form_engine, review, services
from marketplace.egov.models import EService, Submission
from marketplace.extensions import db

SUBSIDY, LIVESTOCK = "agricultural-input-subsidy", "livestock-movement-permit"


def seed_demo_applications(resident: User, neighbour: User, official: User) -> int:
    """How many applications were made (none when the resident already has some)."""
    if db.session.scalar(select(Submission.id).where(Submission.applicant_id == resident.id).limit(1)):
        return 0
    village = str(resident.village_id)
    month_ago = (utcnow() - timedelta(days=30)).date().isoformat()
    approved = _file(resident, SUBSIDY, [
        _about(resident),
        {"farm_name": "Otieno's plot", "farm_size": "1.5", "crops": ["maize", "beans"], "irrigated": "no"},
        {},
        {"input_type": "fertiliser", "bags": "2", "last_harvest": month_ago},
        {},
    ], files={"id_copy": _document_photo("NATIONAL ID")})
    review.claim(official, approved)
    review.decide(official, approved, True, "Eligible: 1.5 acres of maize and beans, first subsidy this season. "
                                           "Collect 2 bags of fertiliser at the Njoro depot with this certificate.")
    rejected = _file(resident, LIVESTOCK, [
        _about(resident),
        {"species": "cattle", "head_count": "4", "vaccinated": "no"},
        {"from_village": village, "to_village": village, "move_date": (utcnow() + timedelta(days=7)).date().isoformat(),
         "reason": "sale"},
    ], way_to_pay="office")
    review.claim(official, rejected)
    review.decide(official, rejected, False, "The cattle are not vaccinated against foot-and-mouth disease. "
                                             "Have them vaccinated by the sub-county vet, then apply again.")
    _file(neighbour, SUBSIDY, [
        _about(neighbour),
        {"farm_name": neighbour.farmer_profile.farm_name if neighbour.farmer_profile else "", "farm_size": "3",
         "crops": ["maize"], "irrigated": "yes"},
        {},
        {"input_type": "seed", "last_harvest": month_ago},
        {},
    ], files={"id_copy": _document_photo("NATIONAL ID")})
    return 3


def _about(person: User) -> dict:
    return {"full_name": person.name, "national_id": f"2{person.id:07d}", "phone": person.phone,
            "home_village": str(person.village_id)}


def _file(applicant: User, slug: str, pages: list[dict], files: dict[str, bytes] | None = None,
          way_to_pay: str | None = None) -> Submission:
    service = db.session.scalar(select(EService).where(EService.slug == slug))
    submission = services.start_application(applicant, service)
    definition = submission.version.definition
    with current_app.test_request_context(method="POST"):
        for index, answers in enumerate(pages):
            formdata = MultiDict()
            for name, value in answers.items():
                for one in value if isinstance(value, list) else [value]:
                    formdata.add(name, one)
            form = form_engine.step_form(definition, index, submission.answers, "en", services.build_context(), formdata=formdata)
            if "csrf_token" in form:
                del form["csrf_token"]  # filled here, not sent by a browser
            uploads = {name: FileStorage(io.BytesIO(data), filename=f"{name}.jpg", content_type="image/jpeg")
                       for name, data in (files or {}).items() if name in form}
            if not services.save_step(applicant, submission, index, form, uploads).saved:
                raise RuntimeError(f"demo answers for {slug} step {index + 1} refused: {form.errors}")
        services.submit_application(applicant, submission, declared=True, way_to_pay=way_to_pay)
    return submission


def _document_photo(title: str) -> bytes:
    """A drawn 'photo of a document' (no real ID is shipped): a card with lines on a table."""
    image = Image.new("RGB", (1200, 800), (120, 95, 70))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((150, 120, 1050, 680), radius=30, fill=(235, 238, 230), outline=(60, 60, 60), width=4)
    draw.rectangle((200, 200, 420, 480), fill=(180, 190, 200))
    draw.text((470, 180), title, fill=(20, 20, 20))
    for row in range(6):
        draw.line((470, 260 + row * 60, 1000, 260 + row * 60), fill=(90, 90, 90), width=6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()
