"""Issue 26: voice messages left on a call — a resident's report, and the answer to an office's
question — recorded by the (fake) gateway, fetched by a job into private storage, attached, and
played only to those who may hear them."""
from __future__ import annotations

import io
import wave

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.egov.models import Attachment, Submission, SubmissionStatus
from marketplace.egov.services import start_application
from marketplace.ussd.models import VoiceMessage, VoiceMessageStatus
from marketplace.voice import services as reports
from marketplace.voice.models import Report, ReportCategory
from marketplace.voice.seeding import ensure_default_routing
from tests import factories
from tests.support.fake_voice import VoiceCall
from tests.ussd.conftest import SECRET


def _speech_wav(seconds: float = 0.5) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1), sound.setsampwidth(2), sound.setframerate(8000)
        sound.writeframes(b"\x00\x10" * int(8000 * seconds))
    return out.getvalue()


@pytest.fixture
def voice(app, client, gateway, monkeypatch, phones, db):
    monkeypatch.setitem(app.config, "VOICE_ESPEAK", False)
    monkeypatch.setitem(app.config, "VOICE_RECORDING_ALLOW_LOOPBACK", True)  # the fake gateway keeps recordings on loopback
    ensure_default_routing()
    admin = factories.with_role(Role.ADMIN)
    reports.set_rule(admin, ReportCategory.WATER, None, phones["places"]["departments"]["AGR"].id)  # the official's department
    db.session.commit()

    def call(phone: str) -> VoiceCall:
        return VoiceCall(client, f"/phone/voice/{SECRET}", phone)

    return call


def _choose(heard: list[str], label: str) -> str:
    """The key said after `label`."""
    return heard[heard.index(label) + 1].removeprefix("Press ").rstrip(".")


def test_a_resident_reports_a_problem_by_voice_and_only_the_department_hears_it(voice, phones, gateway, client, db, login):
    resident, official = phones["resident"], phones["egov"]["official"]
    call = voice(resident.phone)
    main = call.ring()
    assert "Report a problem" in main  # on a call only: USSD cannot record
    categories = call.press(_choose(main, "Report a problem"))
    assert categories[0] == "What is the problem about?"
    asked = call.press(_choose(categories, "Water"))
    assert call.recording and "After the beep, say what the problem is and where it is." in asked
    record = call.last.find("Record")
    assert record.get("maxLength") == "120" and record.get("finishOnKey") == "#" and record.get("playBeep") == "true"
    sound = _speech_wav()
    done = call.record(gateway.keep_recording("rec-1.wav", sound))
    report = db.session.scalar(select(Report).where(Report.reporter_id == resident.id))
    assert done[0] == f"Thank you. Your report number {report.id} is with the department." and not call.waiting
    message = db.session.scalar(select(VoiceMessage))
    assert message.status is VoiceMessageStatus.ATTACHED and message.purpose == "report" and message.target_id == report.id
    assert report.category is ReportCategory.WATER and report.village_id == resident.village_id
    assert [r.size for r in report.recordings] == [len(sound)] and "voice message" in report.description
    recording_url = f"/reports/{report.id}/recordings/{report.recordings[0].id}"
    assert f'src="{recording_url}"' not in client.get(f"/reports/{report.id}").get_data(as_text=True)  # the public page: no voice
    assert client.get(recording_url).status_code in (302, 401)  # signed out
    login(phones["amina"])
    assert client.get(recording_url).status_code == 404  # another resident
    client.post("/logout")
    login(official)
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    heard = client.get(recording_url)
    assert f'src="{recording_url}"' in page and heard.status_code == 200 and heard.data == sound
    assert heard.headers["Cache-Control"] == "private, no-store" and heard.mimetype == "audio/wav"


def test_nothing_recorded_keeps_the_caller_at_the_beep(voice, phones, db):
    call = voice(phones["resident"].phone)
    main = call.ring()
    categories = call.press(_choose(main, "Report a problem"))
    call.press(_choose(categories, "Water"))
    again = call.record("")  # the gateway's recordingUrl is empty when nothing was said
    assert again[0] == "We heard nothing. Speak after the beep." and call.recording
    assert db.session.scalar(select(Report)) is None


def test_a_recording_that_is_not_a_sound_or_not_public_is_refused_and_said_so(voice, phones, gateway, app, monkeypatch, db):
    call = voice(phones["resident"].phone)
    main = call.ring()
    categories = call.press(_choose(main, "Report a problem"))
    call.press(_choose(categories, "Water"))
    call.record(gateway.keep_recording("rec-2.mp3", b"<html>not a sound</html>"))
    refused = db.session.scalar(select(VoiceMessage))
    assert refused.status is VoiceMessageStatus.REFUSED and refused.error == "not a sound recording"
    monkeypatch.setitem(app.config, "VOICE_RECORDING_ALLOW_LOOPBACK", False)  # as in production: loopback is not the gateway
    second = voice(phones["resident"].phone)
    main = second.ring()
    second.press(_choose(second.press(_choose(main, "Report a problem")), "Water"))
    second.record(gateway.keep_recording("rec-3.wav", _speech_wav()))
    blocked = db.session.scalars(select(VoiceMessage).order_by(VoiceMessage.id)).all()[-1]
    assert blocked.status is VoiceMessageStatus.REFUSED and blocked.error


def test_an_applicant_answers_the_offices_question_by_voice_and_the_official_plays_it(voice, phones, gateway, client, db, login):
    resident, official = phones["resident"], phones["egov"]["official"]
    submission = start_application(resident, phones["egov"]["services"]["agricultural-input-subsidy"])
    submission.reference, submission.status = "AGR-2026-000051", SubmissionStatus.MORE_INFO_REQUESTED
    submission.info_request = "How many acres do you farm?"
    db.session.commit()
    call = voice(resident.phone)
    main = call.ring()
    mine = call.press(_choose(main, "Applications"))
    application = next(said for said in mine if said.startswith("A G R 2 0 2 6 0 0 0 0 5 1"))
    question = call.press(_choose(mine, application))
    assert any("The office asks: How many acres do you farm?" in said for said in question)
    call.press(_choose(question, "Answer with a voice message"))
    assert call.recording
    sound = _speech_wav(0.8)
    done = call.record(gateway.keep_recording("answer.wav", sound))
    assert done[0] == "Your answer is with the office. They will listen to it."
    db.session.expire_all()
    submission = db.session.get(Submission, submission.id)
    assert submission.status is SubmissionStatus.IN_REVIEW and submission.info_request == ""
    attachment = db.session.scalar(select(Attachment).where(Attachment.submission_id == submission.id))
    assert attachment.field == "info_response" and attachment.content_type == "audio/wav" and attachment.uploaded_by_id == resident.id
    login(official)
    file_url = f"/applications/{submission.key}/files/{attachment.id}"
    page = client.get(f"/official/applications/{submission.reference}").get_data(as_text=True)
    assert f'<audio controls preload="none" aria-label="Voice message" src="{file_url}">' in page
    played = client.get(file_url)
    assert played.status_code == 200 and played.data == sound and played.mimetype == "audio/wav"
    client.post("/logout")
    login(phones["egov"]["registry_official"])  # another department's official
    assert client.get(file_url).status_code in (403, 404)


def test_voice_reports_are_limited_per_hour_for_each_reporter(voice, phones, gateway, db):
    resident = phones["resident"]
    for _ in range(reports.VOICE_REPORTS_PER_HOUR):
        reports.file_report(resident, reports.ReportInput(category="water", village_id=resident.village_id, voice_message=True))
    call = voice(resident.phone)
    main = call.ring()
    call.press(_choose(call.press(_choose(main, "Report a problem")), "Water"))
    said = call.record(gateway.keep_recording("one-too-many.wav", _speech_wav()))
    assert said[0] == "You have sent 5 reports in the last hour. Please call again later."
    assert db.session.scalar(select(VoiceMessage)) is None


def test_a_voice_message_whose_job_was_lost_is_fetched_by_the_sweep(voice, phones, gateway, db):
    """Redis away when the call ended: the row waits; the scheduled sweep queues its job again."""
    from datetime import timedelta

    from marketplace.core.timeutils import utcnow
    from marketplace.ussd import voice_messages

    resident = phones["resident"]
    report = reports.file_report(resident, reports.ReportInput(category="water", village_id=resident.village_id, voice_message=True))
    sound = _speech_wav()
    lost = VoiceMessage(phone=resident.phone, user_id=resident.id, purpose=voice_messages.REPORT, target_id=report.id,
                        recording_url=gateway.keep_recording("lost.wav", sound), created_at=utcnow() - timedelta(minutes=10))
    db.session.add(lost)
    db.session.commit()  # written, but no job asked for: as when the enqueue failed
    assert voice_messages.sweep(timedelta(minutes=5)) == 1
    db.session.expire_all()
    assert db.session.get(VoiceMessage, lost.id).status is VoiceMessageStatus.ATTACHED
    assert [r.size for r in db.session.get(Report, report.id).recordings] == [len(sound)]
    assert voice_messages.sweep(timedelta(minutes=5)) == 0  # attached: nothing more to fetch
