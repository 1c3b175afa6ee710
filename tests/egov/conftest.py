from __future__ import annotations

import io

import pytest
from PIL import Image

from marketplace.accounts.models import Department, Role
from marketplace.egov.models import EService
from marketplace.egov.versions import ensure_seeded_services
from marketplace.extensions import db
from tests import factories


@pytest.fixture
def egov(places):
    """The five shipped services, a resident, an agent, and officials of two departments."""
    for code, name in (("LND", "Lands"), ("TRD", "Trade and Licensing")):
        db.session.add(Department(code=code, name=name))
    db.session.commit()
    ensure_seeded_services()
    village = places["villages"]["Mbeu"]
    return {
        "services": {s.slug: s for s in db.session.scalars(db.select(EService))},
        "resident": factories.user("Achieng Resident", village=village),
        "other_resident": factories.user("Other Resident", village=village),
        "agent": factories.with_role(Role.AGENT, village=village),
        "official": factories.with_role(Role.OFFICIAL, places["departments"]["AGR"], village=village),
        "colleague": factories.with_role(Role.OFFICIAL, places["departments"]["AGR"], village=village),
        "registry_official": factories.with_role(Role.OFFICIAL, places["departments"]["REG"], village=village),
        "admin": factories.with_role(Role.ADMIN),
        "village": village,
    }


def jpeg_bytes(size=(1200, 900)) -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", size, (200, 180, 160)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
             b"3 0 obj<</Type/Page/MediaBox[0 0 3 3]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
