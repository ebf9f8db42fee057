"""Aggregates computed in the database match a hand computation over the stored answers."""
from datetime import datetime, timedelta, timezone
from fractions import Fraction

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import Answer, Question, Response, Verification
from feedback_app.services.reporting import reports

from . import factories

T0 = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)


def store(point, staff, answers, when=T0, excluded=False, key=[0]):
    """Store one response directly with answers for U1..U9 in order."""
    key[0] += 1
    questions = db.session.scalars(select(Question).order_by(Question.position)).all()
    response = Response(idempotency_key=f"k{key[0]:020d}", questionnaire_id=questions[0].questionnaire_id,
                        service_point_id=point.id, unit_id=point.unit_id, staff_id=staff.id if staff else None,
                        verification=Verification.ROSTER if staff else Verification.UNATTRIBUTED,
                        submitted_at=when, excluded=excluded, integrity_flags="too_fast" if excluded else "")
    response.answers = [Answer(question_id=q.id, value=v) for q, v in zip(questions, answers)]
    db.session.add(response)
    db.session.commit()


def test_unit_counter_and_officer_figures_match_hand_computation(app):
    one = factories.counter(code="A-01", name="Loket A")
    two = factories.counter(code="B-01", name="Loket B")
    rina = factories.staff(one.unit, name="Rina")
    store(one, rina, [3, 3, 2, 4, 3, 3, 4, 2, 3])
    store(one, rina, [4, 3, 3, 4, 3, 4, 4, 3, 2])
    store(two, None, [3, 2, 3, 4, 4, 3, 3, 3, 3])
    store(two, None, [1] * 9, excluded=True)  # flagged: never counted
    store(two, None, [1] * 9, when=T0 + timedelta(days=120))  # another quarter
    scope = reports.Scope((one.unit_id,))
    start, end = T0 - timedelta(days=5), T0 + timedelta(days=5)

    unit = reports.summary(scope, start, end)
    assert unit.responses == 3
    assert unit.ikm == Fraction(85 * 25, 27) and unit.grade.letter == "B"
    assert [(e.code, e.total, e.count) for e in unit.elements][:2] == [("U1", 10, 3), ("U2", 8, 3)]

    counters = reports.by_counter(scope, start, end)
    assert counters[one.id].responses == 2 and counters[two.id].responses == 1
    assert counters[two.id].ikm == Fraction(28 * 25, 9)

    (row,) = reports.officer_scores(scope, start, end, ("U6", "U7"), prior_weight=10, minimum=20,
                                    unit_mean=float(unit.ikm))
    # per response: (3+4)/2*25 = 87.5 and (4+4)/2*25 = 100
    assert row.name == "Rina" and row.score.count == 2 and row.score.mean == 93.75
    assert not row.score.sufficient
    assert round(row.score.shrunk, 4) == round((2 * 93.75 + 10 * float(unit.ikm)) / 12, 4)


def test_empty_period_has_no_index(app):
    point = factories.counter()
    result = reports.summary(reports.Scope((point.unit_id,)), T0, T0 + timedelta(days=1))
    assert result.responses == 0 and result.ikm is None and result.grade is None


# --- the comments list: which responses, which filters, which page (found by scripts/mutation) ------------------

def _commented(point, answers, minute, comment=None, followup=False):
    store(point, None, answers, when=T0 + timedelta(minutes=minute))
    response = db.session.scalar(select(Response).order_by(Response.id.desc()).limit(1))
    response.comment, response.followup_requested = comment, followup
    db.session.commit()
    return response.id


def test_comments_list_filters_and_pages(app):
    point = factories.counter(code="A-01", name="Loket A")
    scope, start, end = reports.Scope((point.unit_id,)), T0 - timedelta(days=1), T0 + timedelta(days=1)
    assert reports.comments(scope, start, end) == ([], 0)
    at_65 = _commented(point, [3, 3, 3, 2, 2], 1, "Cukup")  # five answers, 13 points: exactly 65.00
    low = _commented(point, [1] * 9, 2, "Antrean 100% penuh")  # 25.00
    _commented(point, [4] * 9, 3, "Antrean 100 orang")
    asked = _commented(point, [3] * 9, 4, followup=True)  # asked to be contacted, no comment: listed
    _commented(point, [3] * 9, 5)  # neither: not listed
    long_text = "a" * 100 + "c"
    _commented(point, [4] * 9, 6, long_text)

    rows, total = reports.comments(scope, start, end)
    assert total == 5 and [r.response_id for r in rows][1:4] == [asked, asked - 1, low]  # newest first
    assert {r.response_id: r.score for r in rows}[at_65] == 65.0
    assert [r.response_id for r in reports.comments(scope, start, end, low_only=True)[0]] == [low]
    assert [r.response_id for r in reports.comments(scope, start, end, followup_only=True)[0]] == [asked]
    # the search is literal: % and _ are not wildcards; only its first 100 characters are used
    assert [r.response_id for r in reports.comments(scope, start, end, text=" 100% ")[0]] == [low]
    assert reports.comments(scope, start, end, text="antrean_100")[1] == 0
    assert reports.comments(scope, start, end, text="a" * 100 + "b")[1] == 1


def test_comments_come_fifty_to_a_page(app):
    point = factories.counter(code="A-01", name="Loket A")
    for minute in range(51):
        _commented(point, [3] * 9, minute, f"Komentar {minute}")
    scope, start, end = reports.Scope((point.unit_id,)), T0 - timedelta(days=1), T0 + timedelta(days=1)
    first, total = reports.comments(scope, start, end)
    assert total == 51 and len(first) == 50 and first[0].comment == "Komentar 50"
    second, _ = reports.comments(scope, start, end, page=2)
    assert [r.comment for r in second] == ["Komentar 0"]


def test_comments_are_newest_first_by_when_they_were_given_not_by_when_they_were_stored(app):
    point = factories.counter(code="A-01", name="Loket A")
    late = _commented(point, [3] * 9, 5, "Diberikan menit 5")
    early = _commented(point, [3] * 9, 1, "Diberikan menit 1")  # stored later, given earlier
    same_time = _commented(point, [3] * 9, 5, "Juga menit 5")
    scope, start, end = reports.Scope((point.unit_id,)), T0 - timedelta(days=1), T0 + timedelta(days=1)
    assert [r.response_id for r in reports.comments(scope, start, end)[0]] == [same_time, late, early]
