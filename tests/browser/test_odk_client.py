"""Our OpenRosa server driven by ODK's own XForms engine (@getodk/xforms-engine, the engine inside ODK
Web Forms and ODK Central), in chromium: fetch the form list and the XForm with a device token, load
the form in the engine, answer it (a photo included), let the engine make the submission, post it,
and post it again. The engine parses and evaluates our XForm (binds, relevance, constraints), so a
form it cannot run or an instance it would not produce fails here."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest

from marketplace.accounts.api import create_device_token
from marketplace.egov.models import Submission, SubmissionStatus
from marketplace.egov.versions import ensure_seeded_services
from marketplace.extensions import db
from tests import factories
from tests.egov.conftest import jpeg_bytes

ENGINE = Path(__file__).resolve().parents[2] / "build" / "odk" / "xforms-engine.js"

FILL_AND_SEND = """async ({auth, slug, answers, photo}) => {
  const headers = {Authorization: auth};
  const list = new DOMParser().parseFromString(await (await fetch('/openrosa/formList', {headers})).text(), 'text/xml');
  const url = [...list.getElementsByTagName('downloadUrl')].map(e => e.textContent).find(u => u.includes(slug));
  const xform = await (await fetch(url, {headers})).text();
  const form = await window.ODKEngine.createInstance(xform);
  const root = form.root;
  const seen = [];
  const fill = (node) => {
    const name = node.currentState.reference.split('/').pop();
    if (name in answers) {
      seen.push(name);
      const value = answers[name];
      if (node.nodeType === 'select') { Array.isArray(value) ? node.selectValues(value) : node.selectValue(value); }
      else if (node.nodeType === 'upload') {
        const bytes = Uint8Array.from(atob(photo), c => c.charCodeAt(0));
        node.setValue(new File([bytes], 'vet.jpg', {type: 'image/jpeg'}));
      } else { node.setValue(value); }
    }
    for (const child of node.currentState.children || []) { fill(child); }
  };
  fill(root);
  const payload = await root.prepareInstancePayload();
  const send = () => fetch('/openrosa/submission', {method: 'POST', body: payload.data[0], headers});
  const first = await send();
  const firstText = await first.text();
  const second = await send();
  return {status: payload.status, violations: (payload.violations || []).length, seen, first: first.status, text: firstText,
          second: second.status, instance: await payload.data[0].get('xml_submission_file').text()};
}"""


@pytest.fixture
def engine_page(browser, live_server):
    if not ENGINE.exists():
        pytest.skip(f"ODK's xforms-engine is not built at {ENGINE} (make node-deps builds it with npm)")
    context = browser.new_context(base_url=live_server, bypass_csp=True)  # the engine is injected, not served by us
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/services")
    page.add_script_tag(path=str(ENGINE), type="module")
    page.wait_for_function("() => window.ODKEngine !== undefined")
    yield page
    context.close()


def test_odks_engine_fills_our_xform_and_our_server_stores_its_submission_once(engine_page, places):
    ensure_seeded_services()
    village = places["villages"]["Mbeu"]
    resident = factories.user("Achieng Resident", village=village)
    agent = factories.with_role(factories.Role.AGENT, village=village)
    factories.present(agent, resident)
    _token, secret = create_device_token(agent, "tablet")
    auth = "Basic " + base64.b64encode(f"{agent.phone}:{secret}".encode()).decode()
    answers = {"applicant_phone": resident.phone, "full_name": "Achieng Resident", "national_id": "12345678",
               "phone": resident.phone, "home_village": str(village.id), "species": "cattle", "head_count": 12,
               "vaccinated": "yes", "vaccination_date": "2026-11-01", "from_village": str(village.id),
               "to_village": str(village.id), "move_date": "2026-12-20", "reason": "sale", "vet_record": "photo",
               "applicant_declares": True}

    result = engine_page.evaluate(FILL_AND_SEND, {"auth": auth, "slug": "livestock-movement-permit", "answers": answers,
                                                  "photo": base64.b64encode(jpeg_bytes()).decode()})

    assert set(result["seen"]) == set(answers), result["seen"]  # every question is where the engine looks for it
    assert result["status"] == "ready" and result["violations"] == 0, result  # the engine finds the form complete and valid
    assert result["first"] == 201, result["text"]
    assert result["second"] == 202  # the same instanceID again: stored once
    db.session.expire_all()
    stored = db.session.scalars(db.select(Submission).where(Submission.applicant_id == resident.id)).all()
    assert len(stored) == 1
    application = stored[0]
    assert application.status is SubmissionStatus.SUBMITTED and application.reference in result["text"]
    assert application.instance_id.startswith("uuid:") and application.instance_id in result["instance"]
    assert application.answers["head_count"] == "12" and application.answers["vaccination_date"] == "2026-11-01"
    assert [a.field for a in application.attachments] == ["vet_record"]


def test_odks_engine_keeps_a_hidden_question_out_and_our_server_agrees(engine_page, places):
    """The vaccination date is asked only for vaccinated animals: the engine leaves it out of the
    instance, and the application holds no such answer."""
    ensure_seeded_services()
    village = places["villages"]["Mbeu"]
    resident = factories.user("Baraka Resident", village=village)
    agent = factories.with_role(factories.Role.AGENT, village=village)
    _token, secret = create_device_token(agent, "tablet")
    auth = "Basic " + base64.b64encode(f"{agent.phone}:{secret}".encode()).decode()
    answers = {"applicant_phone": resident.phone, "full_name": "Baraka Resident", "national_id": "87654321",
               "phone": resident.phone, "home_village": str(village.id), "species": "goats", "head_count": 3,
               "vaccinated": "no", "vaccination_date": "2026-11-01", "from_village": str(village.id),
               "to_village": str(village.id), "move_date": "2026-12-21", "reason": "grazing"}
    result = engine_page.evaluate(FILL_AND_SEND, {"auth": auth, "slug": "livestock-movement-permit", "answers": answers,
                                                  "photo": ""})
    assert result["first"] == 201, result["text"]
    assert "2026-11-01" not in result["instance"], result["instance"]  # the engine sends no answer to a question not asked
    db.session.expire_all()
    application = db.session.scalar(db.select(Submission).where(Submission.applicant_id == resident.id))
    assert "vaccination_date" not in application.answers
    assert application.status is SubmissionStatus.DRAFT  # the resident was not shown to be present: theirs to send
