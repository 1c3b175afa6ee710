"""Certificates and decision letters: a PDF (fpdf2) in the applicant's language, with a
verification code and a QR code (segno) that opens /verify/<code>, the public check that shows
only what the document itself shows."""
from __future__ import annotations

import io
import re
import secrets
from datetime import timedelta
from pathlib import Path

import segno
from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF
from sqlalchemy import select, update

from marketplace.accounts.api import User, department_name
from marketplace.core.jobs import enqueue
from marketplace.core.storage import get_private_storage
from marketplace.core.timeutils import utcnow
from marketplace.core.urls import external_url
from marketplace.egov import seals
from marketplace.egov.field_types import text
from marketplace.egov.models import Certificate, Submission, SubmissionStatus
from marketplace.extensions import db
from marketplace.i18n import format_day

# Noto (Debian's fonts-noto-core and fonts-noto-cjk): Latin for most languages, Naskh for Arabic,
# Sans CJK (the Simplified Chinese face of the collection) for Chinese; Latin is the fallback for
# reference numbers and names inside Arabic or Chinese text.
FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/truetype/dejavu"))
FONT_FILES = (("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"), ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))
SCRIPT_FONTS = {
    "ar": (Path("/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"),
           Path("/usr/share/fonts/truetype/noto/NotoNaskhArabic-Bold.ttf"), 0, {"direction": "rtl", "script": "arab", "language": "ara"}),
    "zh": (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
           Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"), 2, {"script": "hani", "language": "zho"}),
}
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _fonts() -> tuple[Path, Path] | None:
    for directory in FONT_DIRS:
        for regular, bold in FONT_FILES:
            if (directory / regular).exists() and (directory / bold).exists():
                return directory / regular, directory / bold
    return None


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
        if not db.session.scalar(select(Certificate.id).where(Certificate.code == code)):
            return code


def document_title(submission: Submission, locale: str) -> str:
    definition = submission.version.definition
    certificate = definition.get("certificate") or {}
    return text(certificate.get("title"), locale) or text(definition["title"], locale)


RENDER_JOB = "egov.render_certificate"


def valid_until(certificate: Certificate):
    """The last day an approved document holds, from the published version's `valid_days` (the
    version never changes, so the date is the same on paper and on /verify); None when unlimited."""
    days = (certificate.submission.version.definition.get("certificate") or {}).get("valid_days")
    if certificate.decision != "approved" or not days:
        return None
    return (certificate.issued_at + timedelta(days=int(days))).date()


def _decided_by(submission: Submission):
    decision = next((e for e in reversed(submission.audit) if e.to_status in ("approved", "rejected")), None)
    return db.session.get(User, decision.actor_id) if decision is not None and decision.actor_id else None


def facts(certificate: Certificate, *, on_paper: bool) -> list[tuple[str, str]]:
    """What the document says, in the reader's language: the paper in full, /verify with the
    holder's ID number shortened (enough to compare with the paper in hand, not to copy it)."""
    submission = certificate.submission
    definition = submission.version.definition
    spec = definition.get("certificate") or {}
    approved = certificate.decision == "approved"
    id_number = str((submission.answers or {}).get(spec.get("holder_id_field", "national_id")) or "")
    officer = _decided_by(submission)
    until = valid_until(certificate)
    rows = [
        (_("Reference"), submission.reference or ""),
        (_("Holder"), certificate.holder_name),
        (_("ID number"), id_number if on_paper else ("•" * max(len(id_number) - 4, 0) + id_number[-4:])) if id_number else None,
        (_("Decision"), _("Approved") if approved else _("Not approved")),
        (_("Entitles the holder to"), text(spec.get("entitles"), certificate.locale)) if approved and spec.get("entitles") else None,
        (_("Date"), format_day(submission.decided_at, "long") if submission.decided_at else ""),
        (_("Valid until"), format_day(until, "long")) if until else None,
        (_("Decided by"), _("%(name)s, official of %(office)s", name=officer.name, office=department_name(submission.department)))
        if officer else (_("Department"), department_name(submission.department)),
    ]
    return [row for row in rows if row]


def issue(submission: Submission) -> Certificate:
    """Give a decided submission its certificate (once): the code now, so the decision's message can
    carry it; the PDF by a job after the decision commits (rendering takes a good part of a second)."""
    if submission.certificate is not None:
        return submission.certificate
    locale = submission.applicant.preferred_locale
    approved = submission.status is SubmissionStatus.APPROVED
    certificate = Certificate(code=_new_code(), submission_id=submission.id, locale=locale, holder_name=submission.applicant.name,
                              title=document_title(submission, locale)[:200], decision="approved" if approved else "rejected",
                              storage_key="")
    db.session.add(certificate)
    db.session.flush()
    enqueue(RENDER_JOB, certificate.id)
    return certificate


def render_job(certificate_id: int) -> None:
    """Render and store the PDF unless it is there already (a second run changes nothing)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.storage_key:
        return
    with force_locale(certificate.locale):
        pdf = render_pdf(certificate.submission, certificate)
    key = get_private_storage().save(pdf, "pdf")
    # Conditional: of two runs at once only the first key is kept (the other file is never read).
    db.session.execute(update(Certificate).where(Certificate.id == certificate_id, Certificate.storage_key == "")
                       .values(storage_key=key))
    db.session.commit()


def is_ready(certificate: Certificate) -> bool:
    return bool(certificate.storage_key)


def sweep(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Queue again the certificates still without their PDF (their job was lost)."""
    ids = list(db.session.scalars(select(Certificate.id).where(Certificate.storage_key == "",
                                                               Certificate.issued_at < utcnow() - older_than)))
    for certificate_id in ids:
        enqueue(RENDER_JOB, certificate_id)
    db.session.commit()
    return len(ids)


def verify_url(code: str) -> str:
    return external_url("egov.verify", code=code)


class _Latin1PDF(FPDF):
    """Without a TrueType font (a machine without fonts-noto-core) only Latin-1 can be drawn:
    other characters become '?' rather than failing the decision."""

    def normalize_text(self, text):
        if not self.is_ttf_font:
            text = text.encode("latin-1", "replace").decode("latin-1")
        return super().normalize_text(text)


def render_pdf(submission: Submission, certificate: Certificate) -> bytes:
    pdf = _Latin1PDF(format="A4")
    pdf.set_title(certificate.title)
    fonts = _fonts()
    family = "Helvetica"
    if fonts:
        pdf.add_font("Body", "", str(fonts[0]))
        pdf.add_font("Body", "B", str(fonts[1]))
        family = "Body"
        script = SCRIPT_FONTS.get(certificate.locale.split("_")[0])
        if script and script[0].exists() and script[1].exists():
            regular, bold, index, shaping = script
            pdf.add_font("Script", "", str(regular), collection_font_number=index)
            pdf.add_font("Script", "B", str(bold), collection_font_number=index)
            pdf.set_fallback_fonts(["Body"])  # digits and Latin names inside the script
            pdf.set_text_shaping(use_shaping_engine=True, **shaping)
            family = "Script"
    pdf.add_page()
    pdf.set_font(family, "B", 11)
    pdf.cell(0, 8, department_name(submission.department), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "B", 20)
    pdf.multi_cell(0, 10, certificate.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, "", 12)
    for label, value in facts(certificate, on_paper=True):
        pdf.set_font(family, "B", 12)
        pdf.cell(45, 8, label)
        pdf.set_font(family, "", 12)
        pdf.multi_cell(0, 8, value, new_x="LMARGIN", new_y="NEXT")
    if submission.decision_reason:
        pdf.ln(2)
        pdf.set_font(family, "B", 12)
        pdf.cell(0, 8, _("Reason"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 12)
        pdf.multi_cell(0, 7, submission.decision_reason, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    url = verify_url(certificate.code)
    qr = io.BytesIO()
    segno.make(url, error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    top = pdf.get_y()
    pdf.image(qr, x=pdf.l_margin, y=top, w=40, h=40)
    pdf.set_xy(pdf.l_margin + 45, top)
    pdf.set_font(family, "B", 12)
    pdf.multi_cell(0, 7, _("Verification code: %(code)s", code=certificate.code), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(pdf.l_margin + 45)
    pdf.set_font(family, "", 10)
    pdf.multi_cell(0, 6, _("Anyone can check this document at %(url)s", url=url), new_x="LMARGIN", new_y="NEXT")
    # The second code carries the decision itself, signed: a verifier app checks it with no network
    pdf.set_y(max(pdf.get_y(), top + 42) + 4)
    if pdf.get_y() + 52 > pdf.h - pdf.b_margin:  # a long reason pushed it down: the signed code goes on its own page
        pdf.add_page()
    top = pdf.get_y()
    pdf.image(io.BytesIO(sealed_qr_png(sealed_text(certificate))), x=pdf.l_margin, y=top, w=50, h=50)
    pdf.set_xy(pdf.l_margin + 55, top)
    pdf.multi_cell(0, 6, _("This code holds the decision, signed by the department: it can be checked without a network "
                           "with the department's published key."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def sealed_text(certificate: Certificate) -> str:
    """What the offline code carries: the document's facts, signed with the department's key (egov.seals)."""
    submission = certificate.submission
    facts_signed = {"ref": submission.reference or "", "holder": certificate.holder_name, "decision": certificate.decision,
                    "service": text(submission.version.definition["title"], "en"),
                    "issuer": department_name(submission.department),
                    "decided": submission.decided_at.date().isoformat() if submission.decided_at else ""}
    return seals.seal(certificate, valid_until(certificate), facts_signed)


def sealed_qr_png(sealed: str) -> bytes:
    """The sealed text as a QR code (Base45 fits the alphanumeric mode, as in the EU certificates)."""
    out = io.BytesIO()
    segno.make(sealed, error="l", mode="alphanumeric").save(out, kind="png", scale=4, border=4)
    return out.getvalue()


def normalise_code(typed: str) -> str:
    """A code as people type it back from paper or an SMS: grouped with dashes, spaces or dots, in
    any case (the alphabet has no 0/O or 1/I/L to confuse)."""
    return re.sub(r"[\s\-‐‑–—._]", "", typed or "").upper()[:32]


def certificate_for_code(code: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.code == normalise_code(code)))


def read(certificate: Certificate) -> bytes:
    return get_private_storage().open(certificate.storage_key)
