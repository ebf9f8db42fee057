"""A double tap or a network retry stores one response, even when the retries race each other."""
import threading
from datetime import datetime, timezone

from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Answer, Response
from feedback_app.services import clock
from feedback_app.services.survey import counters, responses, survey

from . import factories


def test_concurrent_submits_with_one_key_store_one_response(make_app, app):
    factories.counter()
    context = counters.load_counter("LKT-01", 0)
    questions = {q.id: 3 for q in context.questionnaire.questions}
    submission = survey.Submission(
        idempotency_key="race-" + "k" * 20, questionnaire_id=context.questionnaire.id, answers=questions,
        staff_id=None, service_type_id=None, sex=None, age=None, education=None, occupation=None, comment=None,
        followup_requested=False, phone=None, email=None, locale="id", flags=(), render_seconds=40.0,
    )
    workers = 8
    web = make_app()
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def submit():
        with web.app_context():
            try:
                barrier.wait()
                results.append(responses.store_submission(submission, context, clock.now_utc(), None))
            except Exception as error:  # noqa: BLE001 - the assertion below shows it
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(results) == workers
    assert sum(r.created for r in results) == 1
    assert len({r.response_id for r in results}) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 9


# --- what store_submission writes (found by scripts/mutation) ----------------------------------------------------

def _submission(key: str, context, **changes):
    values = dict(
        idempotency_key=key, questionnaire_id=context.questionnaire.id,
        answers={q.id: 3 for q in context.questionnaire.questions}, staff_id=None, service_type_id=None, sex=None,
        age=None, education=None, occupation=None, comment=None, followup_requested=False, phone=None, email=None,
        locale="id", flags=(), render_seconds=40.0,
    )
    return survey.Submission(**{**values, **changes})


def test_flags_that_point_at_automation_keep_a_response_out_of_the_scores(app):
    factories.counter()
    context = counters.load_counter("LKT-01", 0)
    cases = {(): False, ("too_fast",): True, ("honeypot",): True, ("bad_token",): True, ("stale_form",): False}
    for n, (flags, excluded) in enumerate(cases.items()):
        stored = responses.store_submission(_submission(f"flags-{n:02d}-" + "k" * 16, context, flags=flags), context,
                                            clock.now_utc(), None)
        response = db.session.get(Response, stored.response_id)
        assert (response.flags, response.excluded) == (list(flags), excluded)


def test_a_follow_up_contact_belongs_to_its_own_response(app):
    factories.counter()
    context = counters.load_counter("LKT-01", 0)
    responses.store_submission(_submission("first-" + "k" * 20, context), context, clock.now_utc(), None)
    asked = responses.store_submission(
        _submission("second-" + "k" * 20, context, followup_requested=True, phone="0812-3456-7890",
                    email="warga@contoh.id"), context, clock.now_utc(), None)
    from feedback_app.models import FollowUpContact

    contact = db.session.scalars(select(FollowUpContact)).one()
    assert (contact.response_id, contact.phone) == (asked.response_id, "0812-3456-7890")
    answers = db.session.scalars(select(Answer.response_id).distinct()).all()
    assert sorted(answers) == sorted([asked.response_id - 1, asked.response_id])


def test_a_response_at_the_first_instant_of_a_quarter_belongs_to_it(app, frozen_clock):
    from feedback_app.services import periods
    from feedback_app.services.reporting import reports

    factories.counter()
    context = counters.load_counter("LKT-01", 0)
    first_instant = datetime(2026, 9, 30, 17, 0, tzinfo=timezone.utc)  # 1 October 2026, 00:00:00 WIB
    responses.store_submission(_submission("edge-" + "k" * 20, context), context, first_instant, None)
    scope = reports.Scope((context.unit_id,))
    q3, q4 = (periods.parse(t).bounds_utc("Asia/Jakarta") for t in ("2026-Q3", "2026-Q4"))
    assert reports.summary(scope, *q3).responses == 0 and reports.summary(scope, *q4).responses == 1
    assert db.session.scalar(select(Response.submitted_at)) == first_instant


def test_the_client_fingerprint_is_a_keyed_hash_of_the_address():
    import hashlib
    import hmac

    assert responses.client_fingerprint("rahasia", None) is None and responses.client_fingerprint("rahasia", "") is None
    expected = hmac.new(b"rahasia", b"10.0.0.7", hashlib.sha256).hexdigest()[:16]
    assert responses.client_fingerprint("rahasia", "10.0.0.7") == expected and len(expected) == 16
    assert responses.client_fingerprint("rahasia", "10.0.0.8") != expected
    assert responses.client_fingerprint("lain", "10.0.0.7") != expected
