"""Voice messages left on a call: for a resident's report, or to answer an office's question.

The gateway records the caller and tells us where the recording is; a job fetches it (from public
addresses only, at most MAX_RECORDING_BYTES, a real sound by its first bytes) and hands it to the
domain it was left for, through that domain's face: `voice.api.attach_recording` for a report,
`egov.api.attach_voice_answer` for an application. The row says what became of it.
"""
from __future__ import annotations

from datetime import timedelta

import filetype
import requests
from flask import current_app
from sqlalchemy import select

from marketplace.accounts.api import User
from marketplace.core import jobs
from marketplace.core.fetch import FetchRefused, InvalidIPAddress, fetch_public
from marketplace.core.timeutils import utcnow
from marketplace.egov import api as egov
from marketplace.extensions import db
from marketplace.ussd.models import VoiceMessage, VoiceMessageStatus
from marketplace.ussd.states import transition_voice_message
from marketplace.voice import api as reports

FETCH_JOB = "ussd.fetch_voice_message"
MAX_RECORDING_BYTES = 5 * 1024 * 1024  # two minutes of a call's MP3 is well under 2 MB
REPORT, ANSWER = "report", "answer"


def leave(user: User, phone: str, purpose: str, target_id: int, recording_url: str) -> VoiceMessage:
    """Keep where the recording is and ask for it to be fetched when this transaction commits."""
    message = VoiceMessage(phone=phone, user_id=user.id, purpose=purpose, target_id=target_id, recording_url=recording_url[:500])
    db.session.add(message)
    db.session.flush()
    jobs.enqueue(FETCH_JOB, message.id)
    return message


def fetch_job(message_id: int) -> None:
    message = db.session.get(VoiceMessage, message_id)
    if message is None or message.status is not VoiceMessageStatus.WAITING:
        return
    try:
        data, extension = _download(message.recording_url)
    except (FetchRefused, InvalidIPAddress) as refusal:
        transition_voice_message(message, VoiceMessageStatus.REFUSED, error=str(refusal) or "the address is not public")
        db.session.commit()
        return
    except requests.RequestException as trouble:  # the gateway slow or away now: RQ tries again later
        raise jobs.RetryLater(f"voice message {message_id}: {trouble}") from trouble
    attach = reports.attach_recording if message.purpose == REPORT else egov.attach_voice_answer
    if attach(message.target_id, message.user_id, data, extension) is None:
        transition_voice_message(message, VoiceMessageStatus.REFUSED, error=f"the {message.purpose} is gone")
    else:
        transition_voice_message(message, VoiceMessageStatus.ATTACHED)
    db.session.commit()


def _download(url: str) -> tuple[bytes, str]:
    """The recording's bytes and kind. The address came through the gateway's callback; it is
    still fetched as an outside address (core.fetch)."""
    if not url.startswith(("https://", "http://")):
        raise FetchRefused("not a web address")
    data = fetch_public(url, max_bytes=MAX_RECORDING_BYTES, what="the recording", user_agent="VillageSquare-Voice/1",
                        allow_loopback=bool(current_app.config.get("VOICE_RECORDING_ALLOW_LOOPBACK")), read_timeout=20)
    kind = filetype.guess(data)
    if kind is None or kind.extension not in ("mp3", "wav", "ogg"):
        raise FetchRefused("not a sound recording")
    return data, kind.extension


def sweep(older_than: timedelta) -> int:
    """Queue again the messages whose job was lost (Redis away when the call ended)."""
    waiting = list(db.session.scalars(select(VoiceMessage.id).where(VoiceMessage.status == VoiceMessageStatus.WAITING,
                                                                     VoiceMessage.created_at < utcnow() - older_than)))
    for message_id in waiting:
        jobs.enqueue(FETCH_JOB, message_id)
    db.session.commit()
    return len(waiting)
