"""The integrity detectors (README, "Detectors"): each catches a synthetic attack and leaves a normal busy day
alone. Submit-time rules go through the survey form; scan rules through the `integrity` job's service."""
import re
from datetime import date, datetime, time, timedelta, timezone
from itertools import count

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import insert, select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, Question, Response, Role, SurveyLinkView, SurveyToken, Verification
from feedback_app.services import clock as app_clock
from feedback_app.services import jobs
from feedback_app.services.integrity import links, on_submit, rules, scan
from feedback_app.services.performance import cycle
from feedback_app.services.survey import attribution

from . import factories
from .conftest import form_fields
from .factories import account, login

SECRET = "test-secret-key-not-for-production"
MONDAY = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)  # 08:00 WIB on a Monday
_keys = count(1)


# --- helpers -------------------------------------------------------------------------------------------------------

def _aged_token(point, seconds: float) -> str:
    """The survey page's render token as if the page had been drawn `seconds` ago."""
    class Earlier(TimestampSigner):
        def get_timestamp(self):
            return int(app_clock.timestamp() - seconds)

    questionnaire_id = db.session.scalar(select(Question.questionnaire_id).limit(1))
    return URLSafeTimedSerializer(SECRET, salt="survey-render", signer=Earlier).dumps([point.id, questionnaire_id])


def _send(client, point, answers, seconds, **extra):
    """Fill the survey of `point` with these nine answers and send it `seconds` after the page was drawn."""
    html = client.get(f"/s/{point.code}").get_data(as_text=True)
    questions = sorted(set(re.findall(r'name="(q\d+)" value="1"', html)), key=lambda q: int(q[1:]))
    data = {**form_fields(html), **dict(zip(questions, map(str, answers))), "rt": _aged_token(point, seconds)}
    data.update(extra)
    assert client.post(f"/s/{point.code}", data=data).status_code == 303
    return db.session.scalar(select(Response).order_by(Response.id.desc()).limit(1))


def _bulk(point, staff, times, **fields):
    """Store responses (no answers: the scan counts responses) at these times; returns their ids."""
    questionnaire_id = db.session.scalar(select(Question.questionnaire_id).limit(1))
    rows = [{"idempotency_key": f"bulk{next(_keys):020d}", "questionnaire_id": questionnaire_id,
             "service_point_id": point.id, "unit_id": point.unit_id, "staff_id": staff.id if staff else None,
             "verification": Verification.ROSTER if staff else Verification.UNATTRIBUTED, "submitted_at": when,
             "integrity_flags": "", "excluded": False, "locale": "id", "followup_requested": False,
             **fields} for when in times]
    if not rows:
        return []
    db.session.execute(insert(Response), rows)
    db.session.commit()
    keys = [r["idempotency_key"] for r in rows]
    return list(db.session.scalars(select(Response.id).where(Response.idempotency_key.in_(keys))
                                   .order_by(Response.submitted_at, Response.id)))


def _spread(day: datetime, n: int, hours: float = 7.0) -> list[datetime]:
    """n times spread evenly over `hours` from `day`."""
    return [day + timedelta(seconds=i * hours * 3600 / max(n, 1)) for i in range(n)]


def _flags(ids) -> dict[int, tuple[str, bool]]:
    db.session.expire_all()
    return {r.id: (r.integrity_flags, r.excluded) for r in db.session.scalars(select(Response).where(Response.id.in_(ids)))}


def _clean(ids) -> bool:
    return all(v == ("", False) for v in _flags(ids).values())


def _flagged(ids, flag) -> bool:
    return all(flag in f.split() and excluded for f, excluded in _flags(ids).values())


@pytest.fixture
def puskesmas(app):
    """A quiet puskesmas counter with one officer on the roster every weekday."""
    point = factories.counter(code="PKM-01", name="Poli Umum", unit_name="Puskesmas Muara Bulian")
    officer = factories.staff(point.unit, name="Dewi")
    factories.on_duty(officer, point)
    return point, officer


@pytest.fixture
def dukcapil(app):
    """Disdukcapil's busy counter with its four officers on the roster every weekday."""
    point = factories.counter(code="DKC-02", unit_name="Disdukcapil")
    officers = [factories.staff(point.unit, name=n) for n in ("Rina", "Joko", "Sari", "Agus")]
    for officer in officers:
        factories.on_duty(officer, point)
    return point, officers


# --- on submit: speeders and straight-lining with speed ------------------------------------------------------------

SPEED = {"INTEGRITY_SPEEDER": {"seconds_per_answer": 1.5, "seconds_per_comment_char": 0.05},
         "INTEGRITY_STRAIGHTLINE": {"seconds_per_answer": 2.5}, "SURVEY_MIN_SECONDS": 8}


def test_a_script_answering_faster_than_it_can_read_is_flagged_and_excluded(make_app, puskesmas):
    client = make_app(**SPEED).test_client()
    point, _ = puskesmas
    script = _send(client, point, [3, 4, 2, 4, 3, 3, 4, 2, 3], seconds=5)
    assert script.flags == ["too_fast"] and script.excluded
    # 20 s is enough for nine answers (13.5 s) but not for nine answers and a 300-character comment (28.5 s)
    pasted = _send(client, point, [3, 4, 2, 4, 3, 3, 4, 2, 3], seconds=20, comment="Pelayanan lambat sekali. " * 12)
    assert pasted.flags == ["too_fast"] and pasted.excluded


def test_a_quick_honest_citizen_and_a_slow_satisfied_one_are_left_alone(make_app, puskesmas):
    client = make_app(**SPEED).test_client()
    point, _ = puskesmas
    quick = _send(client, point, [3, 4, 2, 4, 3, 3, 4, 2, 3], seconds=16)  # varied answers, quickly: fine
    satisfied = _send(client, point, [4] * 9, seconds=40, comment="Mantap")  # all "very good", read: fine
    assert quick.flags == satisfied.flags == [] and not quick.excluded and not satisfied.excluded


def test_straight_lining_is_flagged_only_together_with_speed(make_app, puskesmas):
    client = make_app(**SPEED).test_client()
    point, _ = puskesmas
    friend = _send(client, point, [4] * 9, seconds=15)  # past the speeder limit, but all 4 in 15 s
    assert friend.flags == ["straightline_fast"] and friend.excluded
    reader = _send(client, point, [4] * 9, seconds=30)
    assert reader.flags == [] and not reader.excluded
    off = make_app(**{**SPEED, "INTEGRITY_STRAIGHTLINE": None}).test_client()
    assert _send(off, point, [4] * 9, seconds=15).flags == []


def test_a_response_in_the_evening_after_a_morning_visit_is_not_flagged(client, app, monkeypatch):
    """outside_hours is retired: answering at home after the counter closed is what citizens do."""
    from feedback_app.models import OpeningHours
    from feedback_app.services import clock

    point = factories.counter(code="LKT-09", all_day=False)
    point.hours = [OpeningHours(weekday=d, opens=time(8, 0), closes=time(15, 0)) for d in range(5)]
    officer = factories.staff(point.unit, name="Rina")
    factories.on_duty(officer, point, time(8, 0), time(12, 0), weekdays=range(5))
    monkeypatch.setattr(clock, "now_utc", lambda: datetime(2026, 11, 30, 13, 0, tzinfo=timezone.utc))  # Mon 20:00
    stored = _send(client, point, [3] * 9, seconds=60, staff=str(officer.id))
    assert stored.flags == [] and not stored.excluded and stored.staff_id == officer.id
    assert jobs.scan_integrity(app.config, datetime(2026, 11, 30, 14, 0, tzinfo=timezone.utc)) == "nothing new flagged"


# --- one device ----------------------------------------------------------------------------------------------------

def _device_client(make_app, address, agent):
    client = make_app().test_client()
    client.environ_base.update({"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent})
    return client


def test_one_phone_hammering_a_counter_is_flagged_and_no_address_is_kept(app, make_app, puskesmas):
    point, officer = puskesmas
    phone = _device_client(make_app, "203.0.113.7", "Mozilla/5.0 (Linux; Android 10; K) Chrome/120 Mobile")
    ids = [_send(phone, point, [4] * 9, seconds=60, staff=str(officer.id)).id for _ in range(6)]
    stored = db.session.scalars(select(Response).where(Response.id.in_(ids))).all()
    hashes = {r.client_hash for r in stored}
    assert len(hashes) == 1 and None not in hashes
    for row in stored:  # neither the address nor anything reversible is stored
        assert "203.0.113.7" not in repr([getattr(row, c.key) for c in Response.__table__.c])
    assert jobs.scan_integrity(app.config).startswith("burst_device: 6 responses flagged")
    assert _flagged(ids, "burst_device")


def test_one_busy_wifi_with_many_phones_is_left_alone(app, make_app, puskesmas):
    point, officer = puskesmas
    ids = []
    for n in range(8):  # eight citizens behind the puskesmas wifi (one address), each on their own phone
        phone = _device_client(make_app, "203.0.113.7", f"Mozilla/5.0 (Linux; Android 1{n}; K) Chrome/12{n} Mobile")
        ids.append(_send(phone, point, [3, 4, 3, 3, 4, 3, 3, 4, 3], seconds=60, staff=str(officer.id)).id)
    assert jobs.scan_integrity(app.config) == "nothing new flagged" and _clean(ids)


def test_the_device_hash_changes_every_day_and_is_dropped_after_a_few_days(app):
    monday = on_submit.device_hash(SECRET, "203.0.113.7", "UA", date(2026, 11, 2))
    assert monday == on_submit.device_hash(SECRET, "203.0.113.7", "UA", date(2026, 11, 2))
    assert monday != on_submit.device_hash(SECRET, "203.0.113.7", "UA", date(2026, 11, 3))
    assert monday != on_submit.device_hash(SECRET, "203.0.113.8", "UA", date(2026, 11, 2))
    assert monday != on_submit.device_hash("another-key", "203.0.113.7", "UA", date(2026, 11, 2))
    point = factories.counter()
    old, recent = (_bulk(point, None, [MONDAY - timedelta(days=d)], client_hash=monday)[0] for d in (4, 2))
    _bulk(point, None, [MONDAY - timedelta(days=5)])  # never had one: not counted as dropped
    outcome = jobs.purge(app.config, MONDAY)
    assert outcome.endswith("1 device hashes older than 3 days dropped")
    db.session.expire_all()
    assert db.session.get(Response, old).client_hash is None and db.session.get(Response, recent).client_hash == monday


# --- bursts against the officer's and the counter's own baseline ---------------------------------------------------

def _history(point, officers, per_day, days=28, end=MONDAY):
    """Four weeks of ordinary weekdays before `end`: per_day responses per officer, spread over the service day."""
    for d in range(1, days + 1):
        day = end - timedelta(days=d)
        if day.weekday() < 5:
            for officer in officers:
                _bulk(point, officer, _spread(day, per_day))


def test_a_quiet_puskesmas_officer_with_a_burst_is_flagged(app, puskesmas):
    point, dewi = puskesmas
    _history(point, [dewi], 3)
    friends = _bulk(point, dewi, _spread(MONDAY + timedelta(hours=9), 12, hours=0.9))  # 12 in under an hour, 17:00
    flagged = scan.scan(app.config, MONDAY + timedelta(hours=12))
    assert flagged == {"burst_officer": friends}
    assert _flagged(friends, "burst_officer")


def test_a_busy_screens_verified_answers_are_no_burst_and_leave_the_posters_judged(app, puskesmas):
    point, dewi = puskesmas
    _history(point, [dewi], 3)
    # a screen at her counter: 20 citizens in an hour, each through a link of its own
    linked = _bulk(point, dewi, _spread(MONDAY + timedelta(hours=1), 20, hours=1),
                   verification=Verification.VERIFIED)
    friends = _bulk(point, dewi, _spread(MONDAY + timedelta(hours=9), 12, hours=0.9))  # the poster, 17:00
    assert scan.scan(app.config, MONDAY + timedelta(hours=12)) == {"burst_officer": friends}
    assert _clean(linked)


def test_friends_spread_over_an_evening_are_flagged_by_the_day_window(app, puskesmas):
    point, dewi = puskesmas
    _history(point, [dewi], 3)
    friends = _bulk(point, dewi, _spread(MONDAY + timedelta(hours=10), 12, hours=4))  # 18:00-22:00, 3 an hour
    assert scan.scan(app.config, MONDAY + timedelta(hours=16)) == {"burst_officer": friends}


def test_a_quiet_officers_busier_day_is_left_alone(app, puskesmas):
    point, dewi = puskesmas
    _history(point, [dewi], 3)
    busier = _bulk(point, dewi, _spread(MONDAY, 8, hours=8))  # more than twice her usual day, and 2 in an hour
    assert scan.scan(app.config, MONDAY + timedelta(hours=12)) == {} and _clean(busier)
    # the same day for an officer without history (a floor of 15 a day, 8 an hour) is no burst either
    newcomer = factories.staff(point.unit, name="Baru")
    factories.on_duty(newcomer, point)
    fresh = _bulk(point, newcomer, _spread(MONDAY + timedelta(days=1), 14, hours=8))
    assert scan.scan(app.config, MONDAY + timedelta(days=1, hours=12)) == {} and _clean(fresh)


def test_an_officer_whose_days_start_with_a_rush_is_judged_by_that_rush(app, puskesmas):
    point, dewi = puskesmas
    for d in range(1, 29):  # every weekday three citizens in her first hour (08:00, 08:30, 09:00 WIB), four later
        day = MONDAY - timedelta(days=d)
        if day.weekday() < 5:
            _bulk(point, dewi, [day + timedelta(minutes=m) for m in (0, 30, 60, 180, 240, 300, 360)])
    rush = _bulk(point, dewi, _spread(MONDAY, 8, hours=1))  # Monday: eight in that hour, under 3 x her 3
    assert scan.scan(app.config, MONDAY + timedelta(hours=3)) == {} and _clean(rush)
    more = _bulk(point, dewi, [MONDAY + timedelta(minutes=50), MONDAY + timedelta(minutes=55)])  # ten: over 9
    assert scan.scan(app.config, MONDAY + timedelta(hours=3)) == {"burst_officer": sorted(rush + more)}


def test_one_phone_is_judged_on_its_busy_hour_not_on_its_morning_answer(app, puskesmas):
    point, _ = puskesmas
    morning = _bulk(point, None, [MONDAY], client_hash="one-phone")
    # five within the hour, the first and the last 60 minutes apart: more than four within 60 minutes
    evening = _bulk(point, None, [MONDAY + timedelta(hours=9, minutes=m) for m in (0, 15, 30, 45, 60)],
                    client_hash="one-phone")
    # another phone: three in the morning and four in the evening, never more than four within an hour
    other = _bulk(point, None, [MONDAY + timedelta(minutes=m) for m in (0, 10, 20, 540, 550, 560, 570)],
                  client_hash="other-phone")
    found = scan.scan(app.config, MONDAY + timedelta(hours=12))
    assert found == {"burst_device": evening} and _clean(morning + other)


def test_disdukcapils_monday_queue_is_judged_by_its_own_history(app, dukcapil):
    point, officers = dukcapil
    _history(point, [*officers, None], 30)  # about 4 an hour per officer, and 30 a day naming no officer
    monday = []
    for officer in [*officers, None]:  # Monday: half as busy again, with a morning rush of 12 in an hour
        monday += _bulk(point, officer, _spread(MONDAY, 12, hours=1) + _spread(MONDAY + timedelta(hours=1), 33, 6))
    assert scan.scan(app.config, MONDAY + timedelta(hours=12)) == {} and _clean(monday)
    # the same 12 an hour at a quiet puskesmas would have been a burst (previous test); here a real one still shows
    rina = officers[0]
    fake = _bulk(point, rina, _spread(MONDAY + timedelta(hours=13), 40, hours=0.5))
    flagged = scan.scan(app.config, MONDAY + timedelta(hours=14))
    assert set(fake) <= set(flagged["burst_officer"]) and _flagged(fake, "burst_officer")
    assert not set(flagged["burst_officer"]) & set(monday)


def test_a_counter_burst_of_unattributed_answers_is_flagged_against_the_counters_history(app, puskesmas):
    point, dewi = puskesmas
    _history(point, [dewi], 3)
    _history(point, [None], 2)
    stuffed = _bulk(point, None, _spread(MONDAY + timedelta(hours=10), 25, hours=0.8))
    served = _bulk(point, dewi, _spread(MONDAY + timedelta(hours=10), 2, hours=0.5))  # Dewi's citizens meanwhile
    found = scan.scan(app.config, MONDAY + timedelta(hours=12))
    assert found == {"burst_counter": stuffed} and _flagged(stuffed, "burst_counter") and _clean(served)


# --- an officer's burst against the counter's load --------------------------------------------------------------

def _rush(point, staff, n, start=MONDAY):
    return _bulk(point, staff, _spread(start, n, hours=1))


def test_a_busy_officer_in_her_counters_rush_hour_is_no_burst(app, dukcapil):
    point, officers = dukcapil
    rina = officers[0]
    _history(point, [*officers, None], 30)  # about 5 in an officer's busiest hour; 18 for the rest of the counter
    # a Monday queue three times the usual rush: 15 each in the hour, and 20 for Rina, the fastest: more than
    # 3 x her own busiest hour (15), while her colleagues and the unnamed answers are as busy
    rush = _rush(point, rina, 20) + [i for staff in [*officers[1:], None] for i in _rush(point, staff, 15)]
    assert scan.scan(app.config, MONDAY + timedelta(hours=3)) == {} and _clean(rush)


def test_a_campaign_for_one_officer_inside_the_rush_hour_is_still_flagged(app, dukcapil):
    point, officers = dukcapil
    sari = officers[2]
    _history(point, [*officers, None], 30)
    colleagues = [i for staff in [*officers[:2], officers[3], None] for i in _rush(point, staff, 15)]
    served = _rush(point, sari, 15)
    friends = _bulk(point, sari, _spread(MONDAY + timedelta(minutes=5), 40, hours=0.8))  # each from their own phone
    # the counter's load lets Sari have three times her usual share of a rush (45 in the hour), not 55
    assert scan.scan(app.config, MONDAY + timedelta(hours=3)) == {"burst_officer": sorted(served + friends)}
    assert _flagged(friends, "burst_officer") and _clean(colleagues)


def test_without_the_counters_history_a_busy_hour_lends_no_load(app, dukcapil):
    point, officers = dukcapil
    rina = officers[0]
    # a counter's first week: no history, so the floor (8 an hour) holds however busy the colleagues are
    colleagues = [i for staff in [*officers[1:], None] for i in _rush(point, staff, 8)]
    busiest = _rush(point, rina, 9)
    assert scan.scan(app.config, MONDAY + timedelta(hours=3)) == {"burst_officer": busiest} and _clean(colleagues)


def test_an_officer_new_to_a_busy_counter_is_judged_by_its_load(app, dukcapil):
    point, officers = dukcapil
    _history(point, [*officers, None], 30)
    baru = factories.staff(point.unit, name="Baru")  # no history of his own: the floor of 8 an hour
    factories.on_duty(baru, point)
    # in the counter's rush (three times its usual) his 12 in the hour are his share of the queue
    rush = _rush(point, baru, 12) + [i for staff in [*officers, None] for i in _rush(point, staff, 15)]
    assert scan.scan(app.config, MONDAY + timedelta(hours=3)) == {} and _clean(rush)
    # the next day, 12 in an hour while the counter is quiet are a burst
    tuesday = MONDAY + timedelta(days=1, hours=2)
    quiet = _rush(point, baru, 12, start=tuesday) + _rush(point, officers[0], 2, start=tuesday)
    assert scan.scan(app.config, tuesday + timedelta(hours=3)) == {"burst_officer": quiet[:12]}


def test_unnamed_answers_stuffed_at_the_counter_lend_an_officer_no_load(app, puskesmas):
    point, dewi = puskesmas
    _history(point, [dewi], 3)
    _history(point, [None], 2)
    # "Tidak tahu" stuffed at the counter beside friends of Dewi: the counter looks busy only through a burst
    stuffed = _bulk(point, None, _spread(MONDAY + timedelta(hours=9), 25, hours=0.8))
    friends = _bulk(point, dewi, _spread(MONDAY + timedelta(hours=9), 12, hours=0.9))
    assert scan.scan(app.config, MONDAY + timedelta(hours=12)) == {"burst_counter": stuffed, "burst_officer": friends}


def test_a_counter_whose_answers_in_the_window_are_all_excluded_lends_no_load(app, puskesmas):
    point, dewi = puskesmas
    _history(point, [dewi, None], 3)
    # a script's answers, each flagged on submit: the counter has nothing counted in the window to lend a load
    script = _bulk(point, dewi, _spread(MONDAY, 12, hours=0.5), integrity_flags="too_fast", excluded=True)
    assert scan.scan(app.config, MONDAY + timedelta(hours=2)) == {"burst_officer": script}


def test_the_counter_load_can_be_turned_off(make_app, dukcapil):
    app = make_app(INTEGRITY_BURST_OFFICER={"windows": {"60": {"new": 8, "known": 5}}, "counter_load": 0})
    point, officers = dukcapil
    with app.app_context():
        _history(point, [*officers, None], 30)
        rina = _rush(point, officers[0], 20)
        for staff in [*officers[1:], None]:
            _rush(point, staff, 15)
        assert scan.scan(app.config, MONDAY + timedelta(hours=3)) == {"burst_officer": rina}


def test_burst_rules_can_be_turned_off(make_app, puskesmas):
    app = make_app(INTEGRITY_BURST_OFFICER=None)
    point, dewi = puskesmas
    with app.app_context():
        _bulk(point, dewi, _spread(MONDAY, 12, hours=0.5))
        assert scan.scan(app.config, MONDAY + timedelta(hours=2)) == {}


# --- identical comments --------------------------------------------------------------------------------------------

def test_a_copied_comment_is_flagged_and_common_short_praise_is_not(app, dukcapil):
    point, officers = dukcapil
    copied = [_bulk(point, officers[0], [MONDAY + timedelta(minutes=20 * i)], comment=text)[0] for i, text in
              enumerate(["Pelayanan Bu Rina sangat cepat dan ramah!", "pelayanan bu rina sangat cepat, dan ramah",
                         "PELAYANAN BU RINA SANGAT CEPAT DAN RAMAH."])]
    praise = [_bulk(point, officers[i % 4], [MONDAY + timedelta(minutes=7 * i + 3)], comment=text)[0]
              for i, text in enumerate(["Mantap", "mantap", "Bagus", "Mantap!", "Pelayanan cepat", "pelayanan cepat",
                                        "Pelayanan cepat.", "Terima kasih, semoga makin baik ke depannya"] * 2)]
    # the same long stock praise about each of the four officers once: ordinary, not a campaign
    praise += [_bulk(point, officer, [MONDAY + timedelta(hours=3)], comment="Pelayanan cepat dan ramah, terima kasih.")[0]
               for officer in officers]
    found = scan.scan(app.config, MONDAY + timedelta(hours=8))
    assert found == {"identical_comment": copied}
    assert _flagged(copied, "identical_comment") and _clean(praise)


# --- what the officer could have served ----------------------------------------------------------------------------

def five_a_day(officer_id, day):
    """A services-delivered provider for the tests (named by INTEGRITY_SERVICES_DELIVERED): five each day."""
    return 5


def none_on_saturdays(officer_id, day):
    """A provider by which nobody delivered a service on Saturdays, and five on other days."""
    return 0 if day.weekday() == 5 else 5


def test_roster_responses_beyond_the_services_delivered_are_flagged(make_app, puskesmas):
    app = make_app(INTEGRITY_SERVICES_DELIVERED="tests.test_detectors:five_a_day")
    point, dewi = puskesmas
    with app.app_context():
        served = _bulk(point, dewi, _spread(MONDAY, 6))  # five services, six answers: within the margin of one
        unknown = _bulk(point, None, _spread(MONDAY, 4))  # "Tidak tahu": not the officer's
        assert scan.scan(app.config, MONDAY + timedelta(hours=10)) == {} and _clean(served + unknown)
        evening = _bulk(point, dewi, _spread(MONDAY + timedelta(hours=11), 3, hours=2))  # three more, 19:00-21:00
        assert scan.scan(app.config, MONDAY + timedelta(hours=14)) == {"beyond_services": evening}
        assert _flagged(evening, "beyond_services") and _clean(served)


def test_the_recorded_services_delivered_bound_the_roster_responses_of_that_day(app, puskesmas):
    from feedback_app.models import ServiceDelivered

    point, dewi = puskesmas
    monday = MONDAY.date()
    # a day without any recorded service (a poster-only day): the count is unknown and the rule stays idle
    poster_day = _bulk(point, dewi, _spread(MONDAY - timedelta(days=7), 7))
    assert scan.scan(app.config, MONDAY - timedelta(days=7, hours=-10)) == {} and _clean(poster_day)
    # Monday: four queue tickets served by Dewi, then six roster answers naming her (margin 1: the sixth is beyond)
    db.session.add_all([ServiceDelivered(staff_id=dewi.id, service_point_id=point.id, unit_id=point.unit_id,
                                         day=monday, source="queue", ticket=f"A{n:03d}") for n in range(4)])
    db.session.commit()
    ids = _bulk(point, dewi, _spread(MONDAY, 6))
    assert scan.scan(app.config, MONDAY + timedelta(hours=10)) == {"beyond_services": ids[5:]}
    assert _flagged(ids[5:], "beyond_services") and _clean(ids[:5])


def test_a_response_for_a_day_the_officer_did_not_serve_is_flagged(make_app, app):
    point = factories.counter(code="PKM-02", unit_name="Puskesmas Sridadi")
    dewi = factories.staff(point.unit, name="Dewi")
    factories.on_duty(dewi, point, time(8, 0), time(12, 0), weekdays=range(5))  # mornings, Monday to Friday
    weekday = _bulk(point, dewi, [MONDAY + timedelta(hours=h) for h in (1, 12, 14)])  # 09:00, 20:00, 22:00 WIB
    sunday = _bulk(point, dewi, [MONDAY - timedelta(hours=20)])  # Sunday 12:00 WIB: not on the roster
    assert scan.scan(app.config, MONDAY + timedelta(hours=16)) == {"not_served": sunday}
    assert _flagged(sunday, "not_served") and _clean(weekday)
    # where services delivered are known, a rostered day without any service is not served either
    saturday_app = make_app(INTEGRITY_SERVICES_DELIVERED="tests.test_detectors:none_on_saturdays")
    factories.on_duty(dewi, point, time(8, 0), time(12, 0), weekdays=range(5, 6))
    saturday = _bulk(point, dewi, [MONDAY + timedelta(days=5)])
    with saturday_app.app_context():
        assert scan.scan(saturday_app.config, MONDAY + timedelta(days=5, hours=3)) == {"not_served": saturday}


def test_a_day_taken_off_one_week_s_roster_is_not_served_that_week_only(app):
    from feedback_app.models import Role
    from feedback_app.services.organisation import rosters

    point = factories.counter(code="PKM-03", unit_name="Puskesmas Sridadi")
    dewi = factories.staff(point.unit, name="Dewi")
    factories.on_duty(dewi, point, time(8, 0), time(12, 0), weekdays=range(5))  # the standing roster
    admin = factories.account("admin", Role.ADMIN)
    tuesday = (MONDAY + timedelta(days=1)).date()
    (shift,) = [s for s in rosters.week_roster(point, tuesday).shifts if s.weekday == 1]
    rosters.remove_shift(point, tuesday, shift.id, admin)  # this week only: Dewi is off on Tuesday
    off = _bulk(point, dewi, [MONDAY + timedelta(days=1, hours=2)])
    next_tuesday = _bulk(point, dewi, [MONDAY + timedelta(days=8, hours=2)])  # the standing roster again
    assert scan.scan(app.config, MONDAY + timedelta(days=1, hours=6)) == {"not_served": off}
    assert scan.scan(app.config, MONDAY + timedelta(days=8, hours=6)) == {}
    assert _flagged(off, "not_served") and _clean(next_tuesday)


# --- what the flags do to awards and what the reviewer reads -------------------------------------------------------

def test_only_excluding_flags_are_open_and_block_an_award(app, puskesmas):
    point, dewi = puskesmas
    july = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)
    _bulk(point, dewi, [july], integrity_flags="stale_form")  # counted: never an open flag
    _bulk(point, dewi, [july], integrity_flags="outside_hours")
    assert not rules.excludes(["stale_form", "outside_hours"])
    period = cycle.ensure("2026-Q3", app.config, datetime(2026, 11, 30, tzinfo=timezone.utc))
    inputs = cycle.summary_inputs(period, app.config, cycle.ensure_formula(app.config).settings)
    assert inputs[dewi.id]["open_flags"] == 0
    _bulk(point, dewi, [july], integrity_flags="burst_officer", excluded=True)
    inputs = cycle.summary_inputs(period, app.config, cycle.ensure_formula(app.config).settings)
    assert inputs[dewi.id]["open_flags"] == 1


def test_the_review_page_explains_every_new_flag_in_both_languages(client, app, dukcapil):
    point, officers = dukcapil
    july = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)
    for flag in rules.FLAGS:
        _bulk(point, officers[0], [july], integrity_flags=flag, excluded=rules.excludes([flag]))
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    url = f"/dashboard/unit/{point.unit.code}/integrity?period=2026-Q3&all=1"
    page = client.get(url).get_data(as_text=True)
    for text in ("jauh lebih banyak respons untuk petugas ini", "jauh lebih banyak respons tanpa nama petugas di loket ini",
                 "dari ponsel atau komputer yang sama", "Komentar yang persis sama",
                 "lebih banyak daripada layanan yang diberikannya", "petugas tidak bertugas",
                 "Semua pertanyaan diberi jawaban yang sama"):
        assert text in page
    english = client.get(url + "&lang=en").get_data(as_text=True)
    for text in ("than on their own busy days", "from the same phone or computer", "word for word",
                 "than the services they gave", "did not serve", "Every question got the same answer"):
        assert text in english


def test_the_scan_records_what_it_flagged_and_a_second_run_changes_nothing(app, puskesmas):
    point, dewi = puskesmas
    burst = _bulk(point, dewi, _spread(MONDAY, 10, hours=0.5))
    reviewed = burst[0]
    db.session.get(Response, reviewed).reviewed_at = MONDAY  # decided by a person already: left as decided
    db.session.commit()
    assert jobs.scan_integrity(app.config, MONDAY + timedelta(hours=2)) == "burst_officer: 9 responses flagged"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "integrity.scan")).one()
    assert event.user_id is None and event.new == {"burst_officer": burst[1:]} and event.detail == (
        "burst_officer: 3x own baseline, floors (new, known after 10 days) {60: (8, 5), 1440: (15, 8)}, "
        "times the counter's load up to 3; "
        "burst_counter: 3x own baseline, floors (new, known after 10 days) {60: (20, 8), 1440: (60, 15)}; "
        "burst_device: {'most': 4, 'minutes': 60}; "
        "identical_comment: {'most': 2, 'minutes': 1440, 'min_chars': 20, 'generic_subjects': 3}; "
        "beyond_services: {'margin': 1}; not_served; shared_link: {'most': 2}")
    assert _clean([reviewed])
    assert jobs.scan_integrity(app.config, MONDAY + timedelta(hours=2)) == "nothing new flagged"


# --- a one-time link opened by many devices before its answer ------------------------------------------------------

def _phone(app, n: int, agent: str = "Mozilla/5.0 (Linux; Android 13; SM-A145F) Chrome/120 Mobile"):
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": f"198.51.100.{n}", "HTTP_USER_AGENT": agent})
    return client


def _link(point, officer) -> str:
    now = app_clock.now_utc()
    return attribution.mint(point, officer.id, "screen", now, 3600, now.date())[1]


def _answer_link(phone, point, plain, answers=(4, 3, 4, 4, 3, 4, 4, 4, 3)) -> int:
    """Open the link's page on this phone and answer it; returns the HTTP status of the submit."""
    url = f"/s/{point.code}/v/{plain}"
    html = phone.get(url).get_data(as_text=True)
    questions = sorted(set(re.findall(r'name="(q\d+)" value="1"', html)), key=lambda q: int(q[1:]))
    data = {**form_fields(html), **dict(zip(questions, map(str, answers))), "rt": _aged_token(point, 60)}
    return phone.post(url, data=data).status_code


def test_a_link_photographed_and_opened_on_twenty_phones_is_flagged_and_counts_in_no_score(app, puskesmas):
    point, dewi = puskesmas
    plain = _link(point, dewi)
    crowd = [_phone(app, n) for n in range(1, 21)]
    for phone in crowd:  # the photo of the counter's QR goes round: every phone opens the page
        assert phone.get(f"/s/{point.code}/v/{plain}").status_code == 200
    outcomes = [_answer_link(phone, point, plain, [4] * 9) for phone in crowd]
    assert outcomes == [303] + [409] * 19  # one answer is stored, as for any link
    stored = db.session.scalars(select(Response)).one()
    assert stored.flags == ["shared_link"] and stored.excluded and stored.staff_id == dewi.id
    # only the first few devices are kept, as keyed hashes: never an address
    views = db.session.scalars(select(SurveyLinkView)).all()
    assert len(views) == 3 and all("198.51.100" not in v.client_hash for v in views)
    assert jobs.scan_integrity(app.config) == "nothing new flagged"  # the scan agrees, and adds nothing


def test_a_busy_screen_whose_citizens_open_their_own_link_twice_is_left_alone(app, puskesmas):
    point, dewi = puskesmas
    for n in range(1, 21):  # twenty citizens, each scans with a QR reader, then opens the link in Chrome
        plain = _link(point, dewi)
        _phone(app, n, "QR Scanner/3.1 (Android 13; WebView)").get(f"/s/{point.code}/v/{plain}")
        assert _answer_link(_phone(app, n), point, plain) == 303
    stored = db.session.scalars(select(Response)).all()
    assert len(stored) == 20 and all(r.flags == [] and not r.excluded for r in stored)
    assert jobs.scan_integrity(app.config) == "nothing new flagged"


def test_the_scan_flags_a_link_more_phones_opened_while_its_answer_was_on_its_way(app, puskesmas):
    point, dewi = puskesmas
    plain = _link(point, dewi)
    assert _answer_link(_phone(app, 1), point, plain) == 303
    stored = db.session.scalars(select(Response)).one()
    assert stored.flags == []
    token = db.session.scalars(select(SurveyToken)).one()
    db.session.add_all([SurveyLinkView(token_id=token.id, client_hash=f"{n:016x}") for n in (7, 8)])
    db.session.commit()  # two more phones drew the page between the submit's look and the link's redemption
    # an answer without a device hash (no address came with it) whose link two devices drew: two devices, no more
    unknown = _link(point, dewi)
    assert _answer_link(_phone(app, 2), point, unknown) == 303
    later = db.session.scalars(select(Response).order_by(Response.id.desc())).first()
    later.client_hash = None
    token = db.session.scalars(select(SurveyToken).where(SurveyToken.response_id == later.id)).one()
    db.session.add(SurveyLinkView(token_id=token.id, client_hash="a" * 16))
    db.session.commit()
    assert jobs.scan_integrity(app.config) == "shared_link: 1 responses flagged"
    assert _flagged([stored.id], "shared_link") and _clean([later.id])
    db.session.add(SurveyLinkView(token_id=token.id, client_hash="0" * 16))
    db.session.commit()
    assert links.shared(app.config, token.id, None)  # now three, the answer's own unknown
    assert not links.shared(app.config, _token_id(_link(point, dewi)), None)


def _token_id(plain: str) -> int:
    return db.session.scalars(select(SurveyToken.id).where(SurveyToken.token_hash == attribution.token_hash(plain))).one()


def test_the_shared_link_rule_can_be_turned_off_and_its_devices_are_forgotten_with_the_others(make_app, puskesmas):
    point, dewi = puskesmas
    off = make_app(INTEGRITY_SHARED_LINK=None)
    plain = _link(point, dewi)
    for n in range(1, 6):
        _phone(off, n).get(f"/s/{point.code}/v/{plain}")
    assert _answer_link(_phone(off, 9), point, plain) == 303
    assert db.session.scalars(select(Response)).one().flags == []
    assert db.session.scalars(select(SurveyLinkView)).all() == []
    on = make_app()
    links.record_view(on.config, _token_id(_link(point, dewi)), None, app_clock.now_utc())  # no address: nothing
    assert db.session.scalars(select(SurveyLinkView)).all() == []
    plain = _link(point, dewi)
    for n in range(1, 3):
        _phone(on, n).get(f"/s/{point.code}/v/{plain}")
    assert len(db.session.scalars(select(SurveyLinkView)).all()) == 2
    # kept for three days (to the second), then dropped with the answer's own device hash
    assert jobs.purge(on.config, app_clock.now_utc() + timedelta(days=3)).endswith(
        "0 device hashes older than 3 days dropped")
    assert len(db.session.scalars(select(SurveyLinkView)).all()) == 2
    assert jobs.purge(on.config, app_clock.now_utc() + timedelta(days=3, seconds=1)).endswith(
        "3 device hashes older than 3 days dropped")
    assert db.session.scalars(select(SurveyLinkView)).all() == []


# --- a burst split by device ---------------------------------------------------------------------------------------

def test_a_rivals_three_phones_make_the_burst_and_the_citizens_served_meanwhile_stay_counted(app, puskesmas):
    point, dewi = puskesmas
    _history(point, [dewi], 3)
    evening = MONDAY + timedelta(hours=9)  # 17:00 WIB
    rival = [_bulk(point, dewi, [evening + timedelta(minutes=4 * i)], client_hash=f"rival-phone-{i % 3}")[0]
             for i in range(12)]
    served = [_bulk(point, dewi, [evening + timedelta(minutes=9 * i + 2)], client_hash=f"citizen-{i}")[0]
              for i in range(4)]
    unknown = _bulk(point, dewi, [evening + timedelta(minutes=30)])  # no device hash: a device of its own
    assert scan.scan(app.config, MONDAY + timedelta(hours=12)) == {"burst_officer": rival}
    assert _flagged(rival, "burst_officer") and _clean(served + unknown)


def test_friends_once_each_from_their_own_phones_flag_the_whole_window_for_review(app, puskesmas):
    point, dewi = puskesmas
    _history(point, [dewi], 3)
    evening = MONDAY + timedelta(hours=9)
    friends = _bulk(point, dewi, _spread(evening, 12, hours=0.8))
    for i, response_id in enumerate(friends):
        db.session.get(Response, response_id).client_hash = f"friend-{i}"
    db.session.commit()
    # a device with two answers among them does not make the burst: without it the window is still one
    twice = _bulk(point, dewi, [evening + timedelta(minutes=5), evening + timedelta(minutes=25)], client_hash="same")
    found = scan.scan(app.config, MONDAY + timedelta(hours=12))
    assert found == {"burst_officer": sorted(friends + twice)}


def test_stock_wording_written_thrice_for_a_busy_officer_is_not_a_campaign(app, dukcapil):
    point, officers = dukcapil
    stock = "Pelayanan cepat dan ramah, terima kasih."
    rina = [_bulk(point, officers[0], [MONDAY + timedelta(minutes=40 * i)], comment=stock)[0] for i in range(4)]
    others = [_bulk(point, officer, [MONDAY + timedelta(hours=2)], comment=stock)[0] for officer in officers[1:3]]
    assert scan.scan(app.config, MONDAY + timedelta(hours=8)) == {} and _clean(rina + others)
    # the same four about Rina alone, the words found about one colleague only: a campaign
    copied = "Bu Rina paling cepat dan ramah, pertahankan ya Bu!"
    campaign = [_bulk(point, officers[0], [MONDAY + timedelta(hours=3, minutes=9 * i)], comment=copied)[0]
                for i in range(4)]
    _bulk(point, officers[1], [MONDAY + timedelta(hours=4)], comment=copied)
    assert scan.scan(app.config, MONDAY + timedelta(hours=8)) == {"identical_comment": campaign}


def test_burst_floors_as_a_deployment_may_write_them():
    """A window's floor as one number (the same with or without history), or without its `known` floor."""
    plain, = scan.baseline_rules({"INTEGRITY_BURST_OFFICER": {"windows": {"60": 2}}})
    assert plain.thresholds(scan.History()) == {60: 2}  # no history, no window peak: the floor alone
    assert plain.thresholds(scan.History(12, {60: 1})) == {60: 3}  # 3 x her busiest hour
    partial, = scan.baseline_rules({"INTEGRITY_BURST_OFFICER": {"windows": {"60": {"new": 8}}, "known_after_days": 10}})
    assert partial.thresholds(scan.History(10, {60: 1})) == {60: 8}
    both, = scan.baseline_rules({"INTEGRITY_BURST_OFFICER": {"windows": {"60": {"new": 8, "known": 5}}}})
    assert both.thresholds(scan.History(9, {60: 1})) == {60: 8}  # nine active days: not known yet
    assert both.thresholds(scan.History(10, {60: 1})) == {60: 5}  # the tenth: its history speaks
    soon, = scan.baseline_rules({"INTEGRITY_BURST_OFFICER": {"windows": {"60": {"new": 8, "known": 5}},
                                                          "known_after_days": 5}})
    assert soon.thresholds(scan.History(5, {60: 1})) == {60: 5}
    twice, = scan.baseline_rules({"INTEGRITY_BURST_OFFICER": {"windows": {"60": 2}, "multiple": 2}})
    assert twice.thresholds(scan.History(12, {60: 4})) == {60: 8}
    assert twice.thresholds(scan.History(12, {60: 4}), load=2.5) == {60: 8}  # no counter_load: the load is ignored
    loaded, = scan.baseline_rules({"INTEGRITY_BURST_OFFICER": {"windows": {"60": 2}, "counter_load": 3}})
    assert loaded.thresholds(scan.History(12, {60: 4}), load=0.5) == {60: 12}  # a quiet counter lowers nothing
    assert loaded.thresholds(scan.History(12, {60: 4}), load=2.5) == {60: 30}
    assert loaded.thresholds(scan.History(12, {60: 4}), load=9) == {60: 36}  # at most 3 times
    assert loaded.thresholds(scan.History(), load=2) == {60: 4}  # the floor too: a newcomer's share of a rush
    counter, = scan.baseline_rules({"INTEGRITY_BURST_COUNTER": {"windows": {"60": 2}, "counter_load": 3}})
    assert counter.thresholds(scan.History(12, {60: 4}), load=2) == {60: 12}  # a counter has no load of its own


def test_a_shifted_clock_runs_from_the_instant_a_drill_gives():
    """The attack drill's --at: every process shifts the clock by the same delta, and it keeps running from there."""
    app_clock.freeze(None)
    try:
        app_clock.shift(timedelta(days=-3, hours=2))
        first = app_clock.now_utc()
        assert abs(first - (datetime.now(timezone.utc) - timedelta(days=3, hours=-2))) < timedelta(seconds=1)
        assert app_clock.now_utc() >= first  # it runs
        app_clock.freeze(MONDAY)
        assert app_clock.now_utc() == MONDAY  # a frozen clock still wins
    finally:
        app_clock.shift(timedelta(0))
        app_clock.freeze(MONDAY)
