"""The regency's crest and the units' logos printed on the official documents (issue 15, item 4): upload, replace
or remove; administrators only. Every change and every refused upload is audited (services/reporting/pdf_branding)."""
from __future__ import annotations

import base64

from flask import current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from ...extensions import db
from ...models import Role, Unit
from ...services.messages import N_
from .. import say
from ..params import form_whole
from . import bp
from .access import require


def _folder():
    from ...services.reporting import pdf_branding

    return pdf_branding.folder_of(current_app.config, current_app.instance_path)


@bp.route("/branding", methods=["GET", "POST"])
def branding():
    """The stored images with a preview each, a form to upload one for the regency or a unit, and removal."""
    from ...services.reporting import pdf_branding  # Pillow loads with the page, not at start

    user = require(Role.ADMIN)
    units = db.session.scalars(select(Unit).where(Unit.active).order_by(Unit.name)).all()
    error, status = None, 200
    if request.method == "POST":
        unit_id = form_whole("unit", 0, 0)
        unit = db.session.get(Unit, unit_id) if unit_id else None
        if unit_id and unit is None:
            error, status = pdf_branding.LogoError(N_("Choose the regency or one of the units.")), 422
        elif request.form.get("action") == "remove":
            pdf_branding.remove(_folder(), unit, user)
            return redirect(url_for(".branding", done="removed"))
        else:
            upload = request.files.get("image")
            try:
                pdf_branding.save(_folder(), unit, upload.read() if upload else b"", user)
                return redirect(url_for(".branding", done="saved"))
            except pdf_branding.LogoError as refused:
                error, status = refused, 422
    shown = [(unit, base64.b64encode(image).decode(), image) for unit, image in pdf_branding.stored(_folder(), units)]
    return render_template("admin/branding.html", units=units, shown=shown, error=say(error) if error else None,
                           done=request.args.get("done", "")[:10]), status
