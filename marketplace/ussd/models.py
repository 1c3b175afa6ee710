from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.db import string_enum
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db


class UssdSession(db.Model):
    """Where a USSD caller is in the menus. The gateway resends every input of the session with
    each request; only the inputs not seen yet are applied, so an action or a PIN try never runs
    twice. Kept in the database so any app server can answer the next screen."""

    __tablename__ = "ussd_sessions"
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    consumed: Mapped[int] = mapped_column(default=0)  # how many inputs have been applied
    stack: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the screens, the current one last
    locale: Mapped[str] = mapped_column(String(12), default="en")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)


class CallerLanguage(db.Model):
    """The language a caller chose by key press on their first voice call, remembered for their
    number (a registered person's account language is used until they choose)."""

    __tablename__ = "caller_languages"
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    locale: Mapped[str] = mapped_column(String(12))
    chosen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PromptSource(str, enum.Enum):
    GENERATED = "generated"  # espeak-ng, ahead of time (the phone menus' fixed prompts) or on first use
    RECORDED = "recorded"  # a person's voice, uploaded by an admin: played instead of the generated one


class VoicePrompt(db.Model):
    """Audio of one sentence in one language. Found by the sentence's own text (its SHA-256 with the
    language, and for generated audio the speech settings), so a translation that changes is a new
    prompt, generated again; the old file is removed by `flask phone prompts`. Fixed prompts are
    public media; a sentence that carries someone's figures (a balance, an order) is private."""

    __tablename__ = "voice_prompts"
    __table_args__ = (UniqueConstraint("locale", "text_sha", "source", name="uq_voice_prompts_locale_text_source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    locale: Mapped[str] = mapped_column(String(12))
    text_sha: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[PromptSource] = mapped_column(string_enum(PromptSource))
    private: Mapped[bool] = mapped_column(default=False)
    media_key: Mapped[str] = mapped_column(String(120))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CallBackStatus(str, enum.Enum):
    ASKED = "asked"  # a missed call, rejected free of charge; the call-back job is queued
    PLACED = "placed"  # the gateway took the outbound call
    FAILED = "failed"


class CallBack(db.Model):
    """A missed call answered by calling back, so a voice session costs the caller nothing. One row
    per call-back: who, when, and how the gateway took it; also what limits call-backs per number."""

    __tablename__ = "call_backs"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    called_number: Mapped[str] = mapped_column(String(20))  # ours: the call-back comes from it
    status: Mapped[CallBackStatus] = mapped_column(string_enum(CallBackStatus), default=CallBackStatus.ASKED)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    placed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    gateway_session: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str] = mapped_column(String(300), default="")


class VoiceMessageStatus(str, enum.Enum):
    WAITING = "waiting"  # recorded on the gateway; the job fetches it
    ATTACHED = "attached"  # fetched and attached to its report or application
    REFUSED = "refused"  # not a sound, too large, or not at a public address: said in `error`


class VoiceMessage(db.Model):
    """A voice message left on a call, from the moment the gateway says where its recording is
    until it is attached to the report or the application it was left for. Kept as a row, so a
    recording survives Redis being away (the sweep queues its job again)."""

    __tablename__ = "voice_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # "report" or "answer"
    target_id: Mapped[int] = mapped_column()  # the report's or the application's id
    recording_url: Mapped[str] = mapped_column(String(500))
    status: Mapped[VoiceMessageStatus] = mapped_column(string_enum(VoiceMessageStatus), default=VoiceMessageStatus.WAITING, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str] = mapped_column(String(300), default="")
