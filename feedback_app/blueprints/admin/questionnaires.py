"""Questionnaire versions and the preview of the citizen page (issue 12, item 4). Published versions never change
(answers stay tied to the version they were given under, and survey pages cache a version for an hour): a change
is always published as the next version, through the same service `flask questionnaire create` calls."""
from __future__ import annotations

from flask import abort, current_app, flash, render_template, request, url_for
from flask import redirect as go
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import Questionnaire, Role, Unit
from ...services.survey import counters, questionnaires
from ...services.survey.questionnaires import ELEMENTS_BY_CODE, QuestionnaireError
from .. import params, say
from ..public.messages import EDUCATION_LABELS, OCCUPATION_LABELS, SEX_LABELS
from . import bp
from .access import actor, require

EXTRA_ROWS = 10  # at most this many extra questions per version (rows of the form)


def _version(questionnaire_id: int) -> Questionnaire:
    found = db.session.get(Questionnaire, questionnaire_id)
    if found is None:
        abort(404)
    return found


@bp.get("/questionnaires", endpoint="questionnaires")
def questionnaires_list():
    """Every version with its scope, whether it was answered and which units use it now."""
    require(Role.ADMIN)
    return render_template("admin/questionnaires.html", rows=questionnaires.overview())


def _form_definition(form) -> dict:
    """The posted form as a definition: order from the comma-separated codes, the filled extra rows."""
    extra = []
    for i in range(1, EXTRA_ROWS + 1):
        row = {"code": form.get(f"extra_code{i}", ""), "name_id": form.get(f"extra_name_id{i}", ""),
               "name_en": form.get(f"extra_name_en{i}", ""), "text_id": form.get(f"extra_text_id{i}", ""),
               "text_en": form.get(f"extra_text_en{i}", ""),
               "labels_id": form.get(f"extra_labels_id{i}", "").splitlines(),
               "labels_en": form.get(f"extra_labels_en{i}", "").splitlines()}
        if any(str(v).strip() for v in row.values() if isinstance(v, str)) or any(row["labels_id"] + row["labels_en"]):
            extra.append(row)
    order = [c for c in form.get("order", "").replace(";", ",").replace(" ", ",").split(",") if c.strip()]
    return {"title": form.get("title", ""), "order": order, "extra": extra}


def _error_field(error: QuestionnaireError, definition: dict) -> str:
    """Which part of the form a refusal is about: the element order, an extra question's row, or the unit."""
    if "unknown" in error.params:
        return "order"
    codes = [str(row.get("code") or "").strip().upper() for row in definition.get("extra") or []]
    code = error.params.get("code")
    return f"extra{codes.index(code) + 1}" if code in codes else "form"


def _render_form(definition: dict, unit_code: str, source: Questionnaire | None, error: str | None = None,
                 status: int = 200, error_field: str = "form"):
    units = db.session.scalars(select(Unit).where(Unit.active).order_by(Unit.name)).all()
    answered = source is not None and questionnaires.is_answered(source.id)
    rows = list(definition.get("extra") or [])
    rows += [{}] * max(0, min(EXTRA_ROWS, len(rows) + 2) - len(rows))
    return render_template("admin/questionnaire_form.html", definition=definition, unit_code=unit_code,
                           units=units, source=source, answered=answered, rows=rows, error=error,
                           error_field=error_field, elements=ELEMENTS_BY_CODE), status


@bp.get("/questionnaires/new")
def questionnaire_new():
    """The form for the next version: empty (the standard nine elements) or started from an existing version."""
    require(Role.ADMIN)
    source_id = params.whole_arg("from", 0)
    source = _version(source_id) if source_id else None
    definition = questionnaires.definition_of(source) if source else {"order": list(ELEMENTS_BY_CODE), "extra": []}
    unit_code = ""
    if source is not None and source.unit_id:
        unit_code = db.session.get(Unit, source.unit_id).code
    return _render_form(definition, unit_code, source)


@bp.get("/questionnaires/<id:questionnaire_id>/edit")
def questionnaire_edit(questionnaire_id: int):
    """A published version is never edited in place: this opens the form for the next version, started from it
    (an answered version says so plainly)."""
    require(Role.ADMIN)
    return go(url_for(".questionnaire_new", **{"from": questionnaire_id}))


@bp.post("/questionnaires/new")
def questionnaire_publish():
    """Publish the posted definition as the next version for the chosen unit (or the whole regency)."""
    require(Role.ADMIN)
    form = request.form
    definition = _form_definition(form)
    unit_code = form.get("unit", "").strip().upper()
    source_id = params.form_whole("source", 0)
    source = db.session.get(Questionnaire, source_id) if source_id else None
    unit = None
    if unit_code:
        unit = db.session.scalars(select(Unit).where(Unit.code == unit_code)).first()
        if unit is None:
            return _render_form(definition, unit_code, source, _("There is no unit %(code)s.", code=unit_code[:40]),
                                400, "unit")
    definition["code"] = questionnaires.unit_code_for(unit)
    try:
        published = questionnaires.create_version(definition, unit, actor())
    except QuestionnaireError as refused:
        return _render_form(definition, unit_code, source, say(refused), 400, _error_field(refused, definition))
    counters.clear_cache()
    flash(_("Version %(version)d of %(code)s is published; the survey pages use it within a minute.",
            version=published.version, code=published.code))
    return go(url_for(".questionnaires"))


@bp.get("/questionnaires/<id:questionnaire_id>/preview")
def questionnaire_preview(questionnaire_id: int):
    """The citizen's survey page drawn with this version, as a citizen would see it; it cannot be sent."""
    require(Role.ADMIN)
    version = _version(questionnaire_id)
    unit = db.session.get(Unit, version.unit_id) if version.unit_id else None
    context = counters.CounterContext(
        service_point_id=0, code="PREVIEW", name=_("Example counter"),
        unit_id=unit.id if unit else 0, unit_names=tuple(u.name for u in unit.path()) if unit else (),
        questionnaire=counters.questionnaire_view(version), service_types=(), staff={}, shifts=(), hours=())
    return render_template(
        "public/survey.html", ctx=context, questionnaire=context.questionnaire, locale=str(get_locale()), staff=[],
        values={}, errors={}, render_token="", idem="", sex_labels=SEX_LABELS, education_labels=EDUCATION_LABELS,
        occupation_labels=OCCUPATION_LABELS, verified=None, kiosk=False, preview=version,
        action=url_for(".questionnaire_preview", questionnaire_id=version.id),
        idle_seconds=int(current_app.config["KIOSK_IDLE_SECONDS"]),
        warning_seconds=int(current_app.config["KIOSK_WARNING_SECONDS"]),
    )
