"""The console's segments and audiences: a segment built from the build's tags and
traits, its live count and portrait charts (htmx, as conditions change), saving it,
an audience of it with a holdout, and the audience's export."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pyarrow.csv as pacsv
from fastapi import APIRouter
from fastapi.responses import Response

from shequn.services import audiences
from shequn.services.errors import UserError
from shequn.web.forms import InvalidForm, text
from shequn.web.render import finish, page, redirect
from shequn.web.visits import Visit, VisitDep

router = APIRouter(prefix="/console/segments")
FIELD = "c."  # a condition's field: c.<dimension>, one per chosen value
VALUES_MAX = 200  # chosen values in one segment
CONDITIONS_MAX = 8000  # characters of a saved segment's conditions


def _labels(visit: Visit) -> dict[str, str]:
    """The dimensions as people read them (a brand's own tags go by their names)."""
    t = visit.gettext
    return {"age_band": t("Age band"), "lifecycle": t("Lifecycle stage"),
            "spend_band": t("Spend band"), "community_active": t("Active in the community"),
            "health_reader": t("Reads about health"), "main_interest": t("Main interest"),
            "has_demand": t("Has replacement demand"), "gender": t("Gender"),
            "education": t("Education"), "income_band": t("Income band"),
            "community_grade": t("Community grade"), "city": t("City")}


def _value_labels(visit: Visit) -> dict[str, str]:
    t = visit.gettext
    return {audiences.UNKNOWN: t("unknown"), "true": t("yes"), "false": t("no"),
            "loyal_user": t("loyal user"), "experiencer": t("experiencer"),
            "onlooker": t("onlooker"), "f": t("female"), "m": t("male"),
            "low": t("low"), "middle": t("middle"), "high": t("high")}


def _conditions(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for key, value in pairs:
        if key.startswith(FIELD) and value:
            chosen.setdefault(key.removeprefix(FIELD), []).append(value)
    return chosen


def _counted(visit: Visit, conditions: dict[str, list[str]]) -> audiences.SegmentCount:
    if sum(len(v) for v in conditions.values()) > VALUES_MAX:
        raise InvalidForm("conditions", visit.gettext(
            "At most %(n)s values can be chosen.", n=VALUES_MAX))
    try:
        return audiences.count_segment(visit.web.settings, conditions)
    except UserError as problem:
        raise InvalidForm("conditions", visit.gettext(
            "The build has no such tag or value: %(what)s", what=str(problem))) from None


def _charts(visit: Visit, counted: audiences.SegmentCount) -> dict[str, Any]:
    labels, values = _labels(visit), _value_labels(visit)
    return {dim: {"title": labels.get(dim, dim),
                  "pie": [{"name": values.get(v, v), "value": n} for v, n in rows]}
            for dim, rows in counted.portrait.items() if rows}


def _result(visit: Visit, conditions: dict[str, list[str]]) -> dict[str, Any]:
    counted = _counted(visit, conditions)
    encoded = urlencode([(FIELD + d, v) for d, vs in sorted(conditions.items()) for v in vs])
    return {"counted": counted, "charts": _charts(visit, counted), "encoded": encoded,
            "conditions": conditions}


@router.get("")
def segments_page(visit: VisitDep) -> Response:
    account = visit.require("console.segments")
    conditions = _conditions(list(visit.request.query_params.multi_items()))
    try:
        choices = audiences.segment_choices(visit.web.settings)
    except UserError:
        return page(visit, "console/segments.html", choices=None, saved=None)
    return page(visit, "console/segments.html", choices=choices,
                labels=_labels(visit), value_labels=_value_labels(visit),
                saved=audiences.saved(visit.web.settings, visit.web.store, account),
                **_result(visit, conditions))


@router.get("/count")
def segment_count(visit: VisitDep) -> Response:
    """The live count and portrait of the conditions sent (the page's htmx)."""
    visit.require("console.segments")
    conditions = _conditions(list(visit.request.query_params.multi_items()))
    return page(visit, "console/segment_result.html", **_result(visit, conditions))


def _name(visit: Visit, label: str) -> str:
    name = text(visit, "name", label, 40)
    if not audiences.NAME.match(name):
        raise InvalidForm("name", visit.gettext(
            "%(field)s: lower-case letters, digits and _, starting with a letter.",
            field=label))
    return name


@router.post("/save")
def save(visit: VisitDep) -> Response:
    account = visit.require("console.segments.save")
    name = _name(visit, visit.gettext("Segment name"))
    label = text(visit, "label", visit.gettext("Label"), audiences.LABEL_MAX, required=False)
    encoded = text(visit, "conditions", visit.gettext("Conditions"), CONDITIONS_MAX,
                   required=False)
    conditions = _conditions(parse_qsl(encoded))
    _counted(visit, conditions)  # known tags and values, or why not
    try:
        audiences.save_segment(visit.web.settings, visit.web.store, account, name, label,
                               conditions)
    except audiences.NameTaken:
        raise InvalidForm("name", visit.gettext(
            "A segment named %(name)s is saved already.", name=name)) from None
    return redirect(visit, "/console/segments#saved")


@router.post("/audiences")
def create_audience(visit: VisitDep) -> Response:
    account = visit.require("console.segments.save")
    name = _name(visit, visit.gettext("Audience name"))
    segment = text(visit, "segment", visit.gettext("Saved segment"), 40)
    share = visit.field("holdout")
    if not share.isdecimal() or not 0 <= int(share) <= 50:
        raise InvalidForm("holdout", visit.gettext(
            "The holdout is a whole percentage from 0 to 50."))
    try:
        audiences.create_audience(visit.web.settings, visit.web.store, account, name,
                                  segment, int(share) / 100)
    except audiences.NameTaken:
        raise InvalidForm("name", visit.gettext(
            "An audience named %(name)s is saved already.", name=name)) from None
    except audiences.UnknownSaved:
        raise InvalidForm("segment", visit.gettext(
            "No saved segment is named %(name)s.", name=segment)) from None
    return redirect(visit, "/console/segments#audiences")


@router.get("/audiences/{name}.csv")
def export(name: str, visit: VisitDep) -> Response:
    """The audience's members in the current build, with target or holdout, as CSV."""
    account = visit.require("console.segments.save")
    try:
        table = audiences.export_audience(visit.web.settings, visit.web.store, account, name)
    except audiences.UnknownSaved:
        raise InvalidForm("name", visit.gettext(
            "No audience is named %(name)s.", name=name[:40])) from None
    out = io.BytesIO()
    pacsv.write_csv(table, out)
    return finish(visit, Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                                  headers={"Content-Disposition":
                                           f'attachment; filename="{name}.csv"'}))
