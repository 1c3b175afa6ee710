"""The phone channel's state machines: a call-back's and a voice message's (core.states).

A missed call is rejected (free for the caller) and a call-back asked; the call-back job hands the
outbound call to the gateway (placed) or records why it could not (failed). A voice message waits
until its job has fetched the recording and attached it (attached), or refused it (refused). The
rows keep when and why.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.core.states import SYSTEM, Machine, emit
from marketplace.core.timeutils import utcnow
from marketplace.ussd.models import CallBack, CallBackStatus, VoiceMessage, VoiceMessageStatus

CALL_BACK_MOVES: Machine[CallBackStatus] = Machine("call-back", [
    (None, CallBackStatus.ASKED, [SYSTEM], "asked"),
    (CallBackStatus.ASKED, CallBackStatus.PLACED, [SYSTEM], "placed"),
    (CallBackStatus.ASKED, CallBackStatus.FAILED, [SYSTEM], "failed"),
])


def transition_call_back(call_back: CallBack, to: CallBackStatus, *, gateway_session: str = "", error: str = "") -> None:
    """The call-back job's moves: only an asked call-back is placed or fails, once."""
    refused = _l("This call-back has already been made.")
    move = CALL_BACK_MOVES.check(call_back.status, to, SYSTEM, refused, refused)
    call_back.status = to
    if to is CallBackStatus.PLACED:
        call_back.placed_at, call_back.gateway_session = utcnow(), gateway_session[:64]
    else:
        call_back.error = error[:300]
    emit(f"call_back.{move.event}", call_back)


VOICE_MESSAGE_MOVES: Machine[VoiceMessageStatus] = Machine("voice message", [
    (None, VoiceMessageStatus.WAITING, [SYSTEM], "recorded"),
    (VoiceMessageStatus.WAITING, VoiceMessageStatus.ATTACHED, [SYSTEM], "attached"),
    (VoiceMessageStatus.WAITING, VoiceMessageStatus.REFUSED, [SYSTEM], "refused"),
])


def transition_voice_message(message: VoiceMessage, to: VoiceMessageStatus, *, error: str = "") -> None:
    refused = _l("This voice message has already been dealt with.")
    move = VOICE_MESSAGE_MOVES.check(message.status, to, SYSTEM, refused, refused)
    message.status, message.done_at, message.error = to, utcnow(), error[:300]
    emit(f"voice_message.{move.event}", message)
