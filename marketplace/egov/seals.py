"""Certificates checked without a network: the QR code carries the decision itself, signed.

The scheme is the one the EU digital certificates use, so any verifier built for it reads ours:
the claims are a CBOR Web Token (CWT) signed with COSE_Sign1 (ES256, the key's id in the protected
header), compressed with zlib, written in Base45 (the QR code's alphanumeric mode) and prefixed
with a context identifier ("VS1:" here, "HC1:" there). The libraries are cwt (COSE and CWT),
cbor2 and base45; nothing of the encoding is written by hand.

Each department signs with its own key (SigningKey). The newest key not retired signs; every key
stays in the published key set (JWKS at /.well-known/jwks.json) so documents signed before a
rotation still verify. `unseal` is the one reading, used by /verify, `flask egov verify-qr` and the
test that runs the EU's public test vectors through it (with their prefix and keys).
"""
from __future__ import annotations

import base64
import hashlib
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import cbor2
from base45 import b45decode, b45encode
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cwt import COSE, COSEKey
from flask import current_app
from sqlalchemy import select

from marketplace.accounts.api import Department
from marketplace.core.timeutils import utcnow
from marketplace.egov.models import Certificate, SigningKey
from marketplace.extensions import db

PREFIX = "VS1:"
#: CWT claim keys (RFC 8392) and our private claim with the document (negative keys are private use).
ISS, EXP, IAT, CTI = 1, 4, 6, 7
DOCUMENT = -70001
#: A document with no end date still carries an expiry (verifiers expect one): ten years.
LONGEST = timedelta(days=3650)


class SealRefused(ValueError):
    """The text is not a genuine sealed document; `stage` says where the reading stopped."""

    def __init__(self, stage: str, detail: str) -> None:
        super().__init__(f"{stage}: {detail}")
        self.stage, self.detail = stage, detail


@dataclass
class Unsealed:
    kid: bytes
    claims: dict

    @property
    def document(self) -> dict:
        return self.claims.get(DOCUMENT) or {}

    @property
    def code(self) -> str:
        cti = self.claims.get(CTI)
        return cti.decode() if isinstance(cti, bytes) else str(cti or "")


# --- reading ---------------------------------------------------------------------------------

def unseal(text: str, key_for: Callable[[bytes], COSEKey | None], now: datetime | None = None, prefix: str = PREFIX,
           document_claim: int = DOCUMENT) -> Unsealed:
    """The claims of a sealed text once every step holds: the prefix, Base45, zlib, a COSE_Sign1 (in a
    CWT tag or not) whose document claim is a map of fields, a known key and a good signature, issued
    before `now` and expiring after it. Raises SealRefused naming the step."""
    text = (text or "").strip()
    if not text.startswith(prefix):
        raise SealRefused("prefix", f"the text does not start with {prefix}")
    try:
        compressed = b45decode(text[len(prefix):])
    except ValueError as error:
        raise SealRefused("base45", str(error)) from None
    try:
        signed = zlib.decompress(compressed)
    except zlib.error as error:
        raise SealRefused("compression", str(error)) from None
    try:
        message = cbor2.loads(signed)
        while isinstance(message, cbor2.CBORTag) and message.tag == 61:  # the CWT tag around the COSE one
            message = message.value
        signed = cbor2.dumps(message)
        sign1 = message.value if isinstance(message, cbor2.CBORTag) else message
        protected = cbor2.loads(sign1[0]) if sign1[0] else {}
        kid = protected.get(4) or (sign1[1] or {}).get(4) or b""
        claims = cbor2.loads(sign1[2])
    except Exception as error:  # any malformed CBOR or COSE structure is a forged or broken text
        raise SealRefused("decode", f"not a COSE_Sign1 CWT ({type(error).__name__})") from None
    if not isinstance(claims, dict) or not _is_document(claims.get(document_claim)):
        raise SealRefused("decode", "the claims hold no document (a map of fields)")
    key = key_for(kid)
    if key is None:
        raise SealRefused("key", "no published key has this key id")
    try:
        COSE.new().decode(signed, keys=[key])
    except Exception as error:  # cwt raises VerifyError, DecodeError or ValueError for a bad signature
        raise SealRefused("signature", f"the signature does not verify ({type(error).__name__})") from None
    now = _aware(now or utcnow())
    issued, expires = claims.get(IAT), claims.get(EXP)
    if isinstance(issued, int | float) and datetime.fromtimestamp(issued, UTC) > now:
        raise SealRefused("not yet valid", "the document says it was issued after today")
    if isinstance(expires, int | float) and datetime.fromtimestamp(expires, UTC) < now:
        raise SealRefused("expired", "the document's validity has ended")
    return Unsealed(kid=kid, claims=claims)


def _is_document(value: Any) -> bool:
    """A document is a map of fields; raw bytes where a field or section should be is a broken one."""
    if not isinstance(value, dict) or not value:
        return False
    return all(not isinstance(field, bytes) and (not isinstance(field, dict) or _is_document(field)) for field in value.values())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def key_from_published(kid: bytes) -> COSEKey | None:
    """One of our published keys by its id (the offline verifier's key set, read here from the database)."""
    kid_text = kid.decode("utf-8", "replace") if isinstance(kid, bytes) else str(kid)
    row = db.session.scalar(select(SigningKey).where(SigningKey.kid == kid_text))
    return COSEKey.from_jwk({**row.public_jwk, "kid": kid_text}) if row is not None else None


def revoked() -> list[dict]:
    """Certificates that no longer hold though their signature does: today, those whose approval gave
    a verified-producer status the department has since revoked (who, when and why are in the
    application's audit trail). Verifier apps download this list with the key set."""
    from marketplace.accounts.api import revoked_verifications
    from marketplace.egov.models import Submission

    taken_back = revoked_verifications()
    if not taken_back:
        return []
    rows = db.session.execute(select(Certificate.code, Submission.reference).join(Certificate.submission)
                              .where(Submission.reference.in_(list(taken_back))).order_by(Certificate.code))
    return [{"code": code, "revoked": taken_back[reference].date().isoformat()} for code, reference in rows]


def revoked_on(certificate: Certificate) -> str | None:
    return next((entry["revoked"] for entry in revoked() if entry["code"] == certificate.code), None)


def read_sealed(text: str) -> tuple[Unsealed, Certificate | None]:
    """A sealed text checked against our keys, and the certificate it names (for /verify and the CLI)."""
    unsealed = unseal(text, key_from_published)
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == unsealed.code))
    return unsealed, certificate


# --- keys and signing --------------------------------------------------------------------------

def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"]
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"village-square signing keys").derive(
        secret.encode() if isinstance(secret, str) else secret)
    return Fernet(base64.urlsafe_b64encode(derived))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_key(department: Department) -> SigningKey:
    """A new P-256 key for the department (not committed)."""
    private = ec.generate_private_key(ec.SECP256R1())
    numbers = private.public_key().public_numbers()
    x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = _b64(hashlib.sha256(der).digest()[:8])
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    key = SigningKey(department_id=department.id, kid=kid, private_key_sealed=_fernet().encrypt(pem).decode(),
                     public_jwk={"kty": "EC", "crv": "P-256", "x": _b64(x), "y": _b64(y), "alg": "ES256", "use": "sig"})
    db.session.add(key)
    db.session.flush()
    return key


def signing_key(department: Department) -> SigningKey:
    key = db.session.scalar(select(SigningKey).where(SigningKey.department_id == department.id, SigningKey.retired_at.is_(None))
                            .order_by(SigningKey.id.desc()).limit(1))
    return key or new_key(department)


def rotate(department: Department) -> SigningKey:
    """Retire the department's signing key and make a new one; the old stays published."""
    for key in db.session.scalars(select(SigningKey).where(SigningKey.department_id == department.id, SigningKey.retired_at.is_(None))):
        key.retired_at = utcnow()
    key = new_key(department)
    db.session.commit()
    return key


def published_keys() -> dict:
    """The JWKS every verifier downloads once: each key with its id and department."""
    rows = db.session.scalars(select(SigningKey).order_by(SigningKey.id))
    return {"keys": [{**row.public_jwk, "kid": row.kid, "department": row.department.code,
                      **({"retired": row.retired_at.isoformat()} if row.retired_at else {})} for row in rows]}


def seal(certificate: Certificate, valid_until: Any, facts: dict[str, str]) -> str:
    """The certificate's claims, signed by its department's key, as the text its QR code carries."""
    submission = certificate.submission
    key_row = signing_key(submission.department)
    try:
        pem = _fernet().decrypt(key_row.private_key_sealed.encode())
    except InvalidToken:
        raise RuntimeError("the signing key cannot be read: SECRET_KEY changed since it was made (rotate the key)") from None
    key = COSEKey.from_pem(pem, alg="ES256", kid=key_row.kid)
    issued = _aware(certificate.issued_at)
    ends = _aware(datetime.combine(valid_until, time.max)) if valid_until else issued + LONGEST
    claims = {ISS: current_app.config.get("PUBLIC_BASE_URL") or "village-square", IAT: int(issued.timestamp()),
              EXP: int(ends.timestamp()), CTI: certificate.code.encode(), DOCUMENT: facts}
    signed = COSE.new(alg_auto_inclusion=True, kid_auto_inclusion=True).encode_and_sign(cbor2.dumps(claims), key=key)
    return PREFIX + b45encode(zlib.compress(signed, 9)).decode()


def describe(unsealed: Unsealed) -> str:
    """The claims as JSON for people and scripts (the CLI prints it)."""
    return json.dumps({"code": unsealed.code, **unsealed.document, "expires": datetime.fromtimestamp(
        unsealed.claims[EXP], UTC).date().isoformat() if EXP in unsealed.claims else None}, ensure_ascii=False, indent=1)
