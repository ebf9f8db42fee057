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
