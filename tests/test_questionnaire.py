"""Questionnaire versions: configurable order, extra questions outside the index, answers tied to a version."""
import re

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import Answer, Question, Questionnaire, Response

from . import factories
from .conftest import EXAMPLES, form_fields


def test_new_version_with_extra_question_is_asked_and_stored(runner, client):
    factories.counter()
    old_version = db.session.scalars(select(Questionnaire)).one()
    result = runner.invoke(args=["questionnaire", "create", str(EXAMPLES / "questionnaire.json")])
    assert result.exit_code == 0, result.output
    assert "SKM-2017 version 2 (9 elements, 1 extra question(s))" in result.output
    db.session.refresh(old_version)
    assert not old_version.active

    html = client.get("/s/LKT-01").get_data(as_text=True)
    legends = re.findall(r"<legend>(\d+)\. (.*?)</legend>", html)
    assert len(legends) == 10
    assert legends[7][1].startswith("Bagaimana pendapat Saudara tentang penanganan pengaduan")  # U9 before U8
    assert legends[9][1] == "Apakah ada petugas yang meminta imbalan di luar biaya resmi?"
    extra = db.session.scalars(select(Question).where(Question.code == "X1")).one()
    assert f'name="q{extra.id}" value="2"> Tidak' in html  # two answers, not required

    elements = {q: "4" for q in re.findall(r'name="(q\d+)" value="1" required', html)}
    assert len(elements) == 9
    assert client.post("/s/LKT-01", data={**form_fields(html), **elements}).status_code == 303  # extra skipped
    html = client.get("/s/LKT-01").get_data(as_text=True)
    client.post("/s/LKT-01", data={**form_fields(html), **elements, f"q{extra.id}": "1"})
    responses = db.session.scalars(select(Response).order_by(Response.id)).all()
    assert [len(r.answers) for r in responses] == [9, 10]
    assert {r.questionnaire_id for r in responses} == {extra.questionnaire_id}
    assert db.session.scalar(select(Answer.value).where(Answer.question_id == extra.id)) == 1


def test_a_form_drawn_before_a_new_version_is_checked_against_its_own_version(runner, client):
    factories.counter()
    html = client.get("/s/LKT-01").get_data(as_text=True)
    old_answers = {q: "3" for q in re.findall(r'name="(q\d+)" value="1" required', html)}
    assert runner.invoke(args=["questionnaire", "create", str(EXAMPLES / "questionnaire.json")]).exit_code == 0
    assert client.post("/s/LKT-01", data={**form_fields(html), **old_answers}).status_code == 303
    stored = db.session.scalars(select(Response)).one()
    assert stored.questionnaire_id == db.session.scalars(select(Questionnaire.id).where(Questionnaire.version == 1)).one()


def test_bad_definitions_are_refused_with_a_reason(runner, tmp_path):
    cases = {
        '{"order": ["U1", "U10"]}': "order must list SKM elements U1..U9",
        '{"extra": [{"code": "U3", "text_id": "a", "text_en": "a", "labels_id": ["a","b"], "labels_en": ["a","b"]}]}':
            "extra question code 'U3' is empty, an element code or repeated",
        '{"extra": [{"code": "X1", "text_id": "a", "text_en": "a", "labels_id": ["a"], "labels_en": ["a"]}]}':
            "X1: give 2 to 9 answer labels",
        "{not json": "is not valid JSON",
    }
    for text, message in cases.items():
        path = tmp_path / "q.json"
        path.write_text(text)
        result = runner.invoke(args=["questionnaire", "create", str(path)])
        assert result.exit_code != 0 and message in result.output, (text, result.output)
    assert db.session.scalars(select(Questionnaire)).all() == []
