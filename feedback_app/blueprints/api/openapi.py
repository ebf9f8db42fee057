"""The OpenAPI 3.1 document of /api/v1, kept beside the views it describes (a test checks they agree)."""
from __future__ import annotations

from functools import lru_cache

UNIT = {"type": "object", "required": ["code", "name"],
        "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}
PERIOD = {"type": "object", "required": ["token", "label", "first_day", "last_day"],
          "properties": {"token": {"type": "string", "examples": ["2026-Q3"]}, "label": {"type": "string"},
                         "first_day": {"type": "string", "format": "date"},
                         "last_day": {"type": "string", "format": "date"}}}
NUMBER_OR_NULL = {"type": ["number", "null"]}
SUMMARY_FIELDS = {"responses": {"type": "integer"}, "ikm": NUMBER_OR_NULL,
                  "grade": {"type": ["string", "null"], "enum": ["A", "B", "C", "D", None]},
                  "grade_label": {"type": ["string", "null"]}}
SERVICE_FIELDS = {
    "services_delivered": {"type": "integer", "description": "one-time links minted (screen, kiosk) and queue tickets"},
    "verified_responses": {"type": "integer", "description": "counted responses given through a one-time link"},
    "response_rate": {"type": ["number", "null"], "description": "verified_responses / services_delivered"},
    "verified_share": {"type": ["number", "null"], "description": "verified responses / counted responses"}}
ELEMENT = {"type": "object", "required": ["code", "name", "answers", "nrr", "value", "grade", "mark"],
           "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "answers": {"type": "integer"},
                          "nrr": {"type": "number"}, "value": {"type": "number"},
                          "grade": {"type": "string", "enum": ["A", "B", "C", "D"]},
                          "mark": {"type": ["string", "null"], "enum": ["weakest", "strongest", None]}}}


def _envelope(extra: dict, required: list[str]) -> dict:
    return {"type": "object", "required": ["unit", "period", *required],
            "properties": {"unit": {"$ref": "#/components/schemas/Unit"},
                           "period": {"$ref": "#/components/schemas/Period"}, **extra}}


SCHEMAS = {
    "Unit": UNIT,
    "Period": PERIOD,
    "Element": ELEMENT,
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["status", "code", "message"],
        "properties": {"status": {"type": "integer"}, "code": {"type": "string"}, "message": {"type": "string"}}}}},
    "UnitSummary": _envelope({**SUMMARY_FIELDS, "elements": {"type": "array", "items": {"$ref": "#/components/schemas/Element"}}},
                             ["responses", "ikm", "grade", "grade_label", "elements"]),
    "UnitElements": _envelope({"elements": {"type": "array", "items": {"$ref": "#/components/schemas/Element"}}},
                              ["elements"]),
    "UnitCounters": _envelope({"counters": {"type": "array", "items": {
        "type": "object", "required": ["code", "name", "responses", "ikm", "grade", "grade_label", *SERVICE_FIELDS],
        "properties": {"code": {"type": "string"}, "name": {"type": "string"}, **SUMMARY_FIELDS, **SERVICE_FIELDS}}}},
        ["counters"]),
    "UnitOfficers": _envelope({"officers": {"type": "array", "items": {
        "type": "object", "required": ["nip", "name", "responses", "score", "low", "high", "shrunk", "sufficient",
                                       *SERVICE_FIELDS],
        "properties": {"nip": {"type": ["string", "null"], "description": "NIP, or the staff code of non-ASN staff"},
                       "name": {"type": "string"}, "responses": {"type": "integer"}, "score": NUMBER_OR_NULL,
                       "low": NUMBER_OR_NULL, "high": NUMBER_OR_NULL, "shrunk": NUMBER_OR_NULL,
                       "sufficient": {"type": "boolean"}, **SERVICE_FIELDS}}}}, ["officers"]),
    "UnitResponses": _envelope({
        "page": {"type": "integer"}, "per_page": {"type": "integer", "maximum": 200}, "total": {"type": "integer"},
        "next": {"type": ["string", "null"]},
        "responses": {"type": "array", "items": {
            "type": "object",
            "required": ["number", "submitted_at", "unit", "counter", "officer", "officer_nip", "verification",
                         "answers", "score", "comment", "followup_requested", "integrity_flags", "excluded"],
            "properties": {
                "number": {"type": "integer"}, "submitted_at": {"type": "string", "description": "local time, WIB"},
                "unit": {"type": "string"}, "counter": {"type": "string"}, "officer": {"type": ["string", "null"]},
                "officer_nip": {"type": ["string", "null"]},
                "verification": {"type": "string", "enum": ["verified", "roster", "unattributed"]},
                "service_type": {"type": ["string", "null"]}, "sex": {"type": ["string", "null"]},
                "age": {"type": ["integer", "null"]}, "education": {"type": ["string", "null"]},
                "occupation": {"type": ["string", "null"]},
                "answers": {"type": "object", "additionalProperties": {"type": ["integer", "null"]}},
                "score": NUMBER_OR_NULL, "comment": {"type": ["string", "null"]},
                "followup_requested": {"type": "boolean"},
                "integrity_flags": {"type": "array", "items": {"type": "string"}}, "excluded": {"type": "boolean"}}}}},
        ["page", "per_page", "total", "next", "responses"]),
    "HrPeriods": {"type": "object", "required": ["periods"], "properties": {"periods": {"type": "array", "items": {
        "type": "object", "required": ["token", "kind", "first_day", "last_day", "state", "closed_at",
                                       "formula_version", "summaries"],
        "properties": {"token": {"type": "string"}, "kind": {"type": "string"},
                       "first_day": {"type": "string", "format": "date"},
                       "last_day": {"type": "string", "format": "date"},
                       "state": {"type": "string", "enum": ["open", "closing", "closed"]},
                       "closed_at": {"type": ["string", "null"]}, "formula_version": {"type": ["integer", "null"]},
                       "summaries": {"type": ["string", "null"]}}}}}},
    "HrSummaries": {"type": "object", "required": ["period", "kind", "first_day", "last_day", "state", "closed_at",
                                                   "formula_version", "version", "items"],
                    "properties": {
        "period": {"type": "string"}, "kind": {"type": "string"}, "first_day": {"type": "string"},
        "last_day": {"type": "string"}, "state": {"type": "string", "enum": ["closed"]},
        "closed_at": {"type": "string"}, "formula_version": {"type": "integer"},
        "version": {"type": "string", "description": "changes whenever a figure or decision does; also the ETag"},
        "items": {"type": "array", "items": {"type": "object", "required": [
            "nip", "name", "unit_code", "unit", "position", "asn_type", "citizen_count", "citizen_score",
            "citizen_low", "citizen_high", "citizen_shrunk", "sufficient", "hasil_kerja", "perilaku_kerja",
            "predikat", "peer_score", "peer_count", "open_flags", "disciplinary", "combined_index", "nominations",
            "formula_version", "services_delivered", "verified_responses", "response_rate"],
            "properties": {
                "nip": {"type": "string"}, "name": {"type": "string"}, "unit_code": {"type": "string"},
                "unit": {"type": "string"}, "position": {"type": "string"},
                "asn_type": {"type": "string", "enum": ["PNS", "PPPK"]}, "citizen_count": {"type": "integer"},
                "citizen_score": NUMBER_OR_NULL, "citizen_low": NUMBER_OR_NULL, "citizen_high": NUMBER_OR_NULL,
                "citizen_shrunk": NUMBER_OR_NULL, "sufficient": {"type": "boolean"},
                "hasil_kerja": {"type": ["string", "null"], "enum": ["above", "meets", "below", None]},
                "perilaku_kerja": {"type": ["string", "null"], "enum": ["above", "meets", "below", None]},
                "predikat": {"type": ["string", "null"]}, "peer_score": NUMBER_OR_NULL,
                "peer_count": {"type": "integer"}, "open_flags": {"type": "integer"},
                "disciplinary": {"type": "boolean"}, "combined_index": NUMBER_OR_NULL,
                "nominations": {"type": "array", "items": {"type": "object", "required": ["category", "status"],
                                                           "properties": {
                    "category": {"type": "string"},
                    "status": {"type": "string", "enum": ["nominated", "confirmed", "rejected"]},
                    "rank": {"type": ["integer", "null"]}, "source": {"type": "string", "enum": ["rule", "hr"]}}}},
                "formula_version": {"type": "integer"},
                "services_delivered": {"type": "integer"}, "verified_responses": {"type": "integer"},
                "response_rate": NUMBER_OR_NULL}}}}},
}

SCHEMAS["QueueTicketRequest"] = {
    "type": "object", "required": ["ticket", "officer_nip", "counter"],
    "properties": {"ticket": {"type": "string", "maxLength": 40, "description": "the ticket number, e.g. A-017"},
                   "officer_nip": {"type": "string", "description": "NIP of the officer who served (or a non-ASN "
                                                                       "staff code); must be on the counter's roster"},
                   "counter": {"type": "string", "description": "the counter's code, e.g. DKC-02"}}}
SCHEMAS["QueueTicket"] = {
    "type": "object",
    "required": ["ticket", "counter", "officer_nip", "officer", "day", "url", "qr_png", "qr_svg", "expires_at"],
    "properties": {"ticket": {"type": "string"}, "counter": {"type": "string"}, "officer_nip": {"type": "string"},
                   "officer": {"type": "string"}, "day": {"type": "string", "format": "date"},
                   "url": {"type": "string", "description": "the one-time survey link: one response, then it is used"},
                   "qr_png": {"type": "string"}, "qr_svg": {"type": "string"},
                   "expires_at": {"type": "string", "description": "UTC; SURVEY_TOKEN_TTL after the announcement"}}}

CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}, "example": "DISDUKCAPIL"}
PERIOD_PARAM = {"name": "period", "in": "query", "required": True, "schema": {"type": "string"},
                "description": "2026, 2026-S1, 2026-Q3, 2026-M07 or 2026-01-01..2026-03-31 (days in WIB)",
                "example": "2026-Q3"}
ERRORS = {str(s): {"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"},
                                                                         "example": {"error": {"status": s, "code": c, "message": m}}}}}
          for s, c, d, m in ((400, "bad_request", "Bad parameter", "'2026-Q5' is not a period like 2026, 2026-S1, 2026-Q3 or 2026-M07"),
                             (401, "invalid_token", "Missing or bad token", "the token is unknown, revoked or malformed"),
                             (404, "not_found", "Not in your scope or not there", "no unit NOPE in your scope"))}


VERIFICATION_PARAM = {"name": "verification", "in": "query", "required": False,
                      "schema": {"type": "string", "enum": ["all", "verified", "verified+roster", "roster",
                                                            "unattributed"], "default": "all"},
                      "description": "count only responses of this verification level: verified (a one-time link "
                                     "from a counter screen, kiosk or queue ticket), roster (the poster, officer "
                                     "from the roster), unattributed"}


def _get(summary: str, schema: str, example: dict, extra_parameters: list | None = None) -> dict:
    return {"get": {
        "summary": summary, "security": [{"bearer": []}],
        "parameters": [CODE, PERIOD_PARAM, VERIFICATION_PARAM, *(extra_parameters or [])],
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{schema}"}, "example": example}}}, **ERRORS},
    }}


def _hr_get(summary: str, schema: str, example: dict, parameters: list) -> dict:
    errors = {**ERRORS, "403": {"description": "Not an HR token", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"},
        "example": {"error": {"status": 403, "code": "forbidden",
                              "message": "these endpoints are for HR (BKPSDM) tokens only"}}}}},
              "409": {"description": "The period is not closed yet", "content": {"application/json": {
                  "schema": {"$ref": "#/components/schemas/Error"},
                  "example": {"error": {"status": 409, "code": "conflict",
                                        "message": "2026-Q4 is open; summaries are made when it closes"}}}}}}
    return {"get": {"summary": summary, "security": [{"bearer": []}], "parameters": parameters,
                    "responses": {"200": {"description": "OK", "headers": {"ETag": {"schema": {"type": "string"}}},
                                          "content": {"application/json": {
                                              "schema": {"$ref": f"#/components/schemas/{schema}"},
                                              "example": example}}},
                                  "304": {"description": "Not modified since the ETag sent"}, **errors}}}


_UNIT = {"code": "DISDUKCAPIL", "name": "Dinas Kependudukan dan Pencatatan Sipil"}
_PERIOD = {"token": "2026-Q3", "label": "Triwulan III 2026", "first_day": "2026-07-01", "last_day": "2026-09-30"}
_ELEMENT = {"code": "U1", "name": "Persyaratan", "answers": 1840, "nrr": 3.31, "value": 82.75, "grade": "B", "mark": None}


@lru_cache(maxsize=1)
def document() -> dict:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "SKM satisfaction API", "version": "1",
                 "description": "Satisfaction figures (PermenPANRB 14/2017) per unit, counter and officer. "
                                "Authenticate with 'Authorization: Bearer <token>' (created by 'flask tokens create'); "
                                "a token sees what its owner sees."},
        "servers": [{"url": "/api/v1"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
        "paths": {
            "/units/{code}/summary": _get("IKM, grade, respondents and elements of a unit", "UnitSummary", {
                "unit": _UNIT, "period": _PERIOD, "responses": 1840, "ikm": 82.41, "grade": "B",
                "grade_label": "Baik", "elements": [_ELEMENT]}),
            "/units/{code}/elements": _get("Element breakdown of a unit", "UnitElements",
                                           {"unit": _UNIT, "period": _PERIOD, "elements": [_ELEMENT]}),
            "/units/{code}/counters": _get("Per-counter figures", "UnitCounters", {
                "unit": _UNIT, "period": _PERIOD, "counters": [{"code": "DKC-02", "name": "Loket 2 Perekaman KTP-el",
                                                                "responses": 412, "ikm": 84.1, "grade": "B",
                                                                "grade_label": "Baik", "services_delivered": 950,
                                                                "verified_responses": 301, "response_rate": 0.3168,
                                                                "verified_share": 0.7306}]}),
            "/units/{code}/officers": _get("Officers' citizen scores", "UnitOfficers", {
                "unit": _UNIT, "period": _PERIOD, "officers": [{"nip": "198703152010012002", "name": "Siti Rahmah",
                                                                "responses": 96, "score": 86.2, "low": 83.9,
                                                                "high": 88.5, "shrunk": 85.9, "sufficient": True,
                                                                "services_delivered": 240, "verified_responses": 80,
                                                                "response_rate": 0.3333, "verified_share": 0.8333}]}),
            "/units/{code}/responses": _get("Responses, a page at a time", "UnitResponses", {
                "unit": _UNIT, "period": _PERIOD, "page": 1, "per_page": 1, "total": 1840,
                "next": "/api/v1/units/DISDUKCAPIL/responses?period=2026-Q3&page=2&per_page=1",
                "responses": [{"number": 1, "submitted_at": "2026-07-01 08:03", "unit": _UNIT["name"],
                               "counter": "Loket 2 Perekaman KTP-el", "officer": None, "officer_nip": None,
                               "verification": "unattributed", "service_type": None, "sex": "P", "age": 34,
                               "education": "SMA", "occupation": "WIRAUSAHA",
                               "answers": {f"U{i}": 3 for i in range(1, 10)}, "score": 75.0, "comment": None,
                               "followup_requested": False, "integrity_flags": [], "excluded": False}]},
                [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                 {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200,
                                                                "default": 50}}]),
            "/hr/periods": _hr_get("Performance periods and their state (HR tokens only)", "HrPeriods", {
                "periods": [{"token": "2026-Q3", "kind": "quarter", "first_day": "2026-07-01",
                             "last_day": "2026-09-30", "state": "closed", "closed_at": "2026-10-06T00:00:00+00:00",
                             "formula_version": 1, "summaries": "/api/v1/hr/periods/2026-Q3/summaries"}]}, []),
            "/hr/periods/{token}/summaries": _hr_get(
                "Per-ASN performance summaries of a closed period, keyed by NIP (HR tokens only); send "
                "If-None-Match with the last ETag to get 304 while nothing changed", "HrSummaries", {
                    "period": "2026-Q3", "kind": "quarter", "first_day": "2026-07-01", "last_day": "2026-09-30",
                    "state": "closed", "closed_at": "2026-10-06T00:00:00+00:00", "formula_version": 1,
                    "version": "5f1c0e9a7b3d2c4e6a80", "items": [{
                        "nip": "198703152010012002", "name": "Siti Rahmah", "unit_code": "DISDUKCAPIL",
                        "unit": _UNIT["name"], "position": "Pengadministrasi Umum", "asn_type": "PNS",
                        "citizen_count": 96, "citizen_score": 86.2, "citizen_low": 83.9, "citizen_high": 88.5,
                        "citizen_shrunk": 85.9, "sufficient": True, "hasil_kerja": "above",
                        "perilaku_kerja": "above", "predikat": "Sangat Baik", "peer_score": None, "peer_count": 0,
                        "open_flags": 0, "disciplinary": False, "combined_index": 92.95,
                        "nominations": [{"category": "PELAYAN_PUBLIK_TERBAIK", "status": "confirmed", "rank": 1,
                                         "source": "rule"}],
                        "formula_version": 1, "services_delivered": 240, "verified_responses": 80,
                        "response_rate": 0.3333}]},
                [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"},
                  "example": "2026-Q3"}]),
            "/queue/tickets": {"post": {
                "summary": "Announce a served queue ticket; get its one-time survey link and QR (PNG, SVG). The "
                           "token's owner must see the counter's unit; the officer must be on that counter's "
                           "roster today. Each ticket is one service delivered.",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/QueueTicketRequest"},
                    "example": {"ticket": "A-017", "officer_nip": "198703152010012002", "counter": "DKC-02"}}}},
                "responses": {
                    "201": {"description": "Created", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/QueueTicket"},
                        "example": {"ticket": "A-017", "counter": "DKC-02", "officer_nip": "198703152010012002",
                                    "officer": "Siti Rahmah", "day": "2026-12-03",
                                    "url": "https://skm.batangharikab.go.id/s/DKC-02/v/q9T0Lk2b1wXvYp4rZs8mNc3dAe5fGh7J",
                                    "qr_png": "https://skm.batangharikab.go.id/s/DKC-02/v/q9T0Lk2b1wXvYp4rZs8mNc3dAe5fGh7J/qr.png",
                                    "qr_svg": "https://skm.batangharikab.go.id/s/DKC-02/v/q9T0Lk2b1wXvYp4rZs8mNc3dAe5fGh7J/qr.svg",
                                    "expires_at": "2026-12-04T02:15:00+00:00"}}}},
                    **{str(s): {"description": d, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"},
                        "example": {"error": {"status": s, "code": c, "message": m}}}}}
                       for s, c, d, m in (
                           (400, "bad_request", "Not a JSON object, or a bad ticket number",
                            "'ticket' must be 1 to 40 letters, digits, spaces or . _ / -, e.g. A-017"),
                           (401, "invalid_token", "Missing or bad token", "the token is unknown, revoked or malformed"),
                           (404, "not_found", "No such counter in the token's scope",
                            "no active counter 'DKC-99' in your scope"),
                           (409, "conflict", "The ticket was already announced today at that counter",
                            "ticket A-017 was already announced at counter DKC-02 today"),
                           (422, "unprocessable", "The officer is unknown or not on the counter's roster",
                            "officer 198703152010012002 (Siti Rahmah) is not on the roster of counter DKC-02 on "
                            "Thursdays; the unit's roster must place them there first"))}},
            }},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OK"}}}},
        },
    }
