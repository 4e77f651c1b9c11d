"""Tags, segments and audiences compiled to engine queries (SQLGlot, never f-strings).

Reads ``traits`` (one row per member: the profile and a demand summary) and writes:
``member_tags`` (one column per tag), ``segment_flags`` (one boolean per segment),
``tags`` and ``segments`` (long, for publishing and counting) and ``audiences``
(member, target or holdout; the holdout is drawn from a hash of audience and member, so
the same member stays on the same side from build to build).

A tag whose fields hold no value for any member (a brand without that kind of data:
no ages, no content views) is not applied: its column is null, and it is reported as
skipped with the fields it lacks, as are the segments built on it.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence

import sqlglot.expressions as exp

from shequn import conditions
from shequn.sql import Step, stable_hash
from shequn.tags.spec import Tag, TagFile

HOLDOUT_BUCKETS = 10_000

# One row per member: the profile and the member's strongest demand.
TRAITS = """
SELECT p.*, d.top_category, coalesce(d.top_score, 0) AS top_score,
       coalesce(d.top_probability, 0) AS top_probability
FROM profiles p
LEFT JOIN (
    -- the strongest demand: the highest score, then probability; equal ones go by the
    -- category's name, so that every run picks the same
    SELECT member_id,
           arg_min(category, {'s': -score, 'p': -coalesce(probability, 0), 'c': category})
               AS top_category,
           max(score) AS top_score, max(probability) AS top_probability
    FROM scores GROUP BY member_id
) d USING (member_id)
"""
# The tag stage's first step: the table every tag, segment and audience reads.
TRAIT_STEPS = (Step("traits", TRAITS),)


def _lit(value: str | float) -> exp.Expression:
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def _band_label(low: float | None, high: float | None) -> str:
    def num(v: float) -> str:
        return f"{v:g}"
    if low is None:
        return f"<{num(high)}"  # type: ignore[arg-type]
    if high is None:
        return f"{num(low)}+"
    return f"{num(low)}–{num(high)}"


def _tag_expression(tag: Tag, known: Sequence[str]) -> exp.Expr:
    where = f"tag {tag.name}"
    if tag.kind == "rule":
        return exp.func("coalesce", conditions.check(where, tag.when, known).copy(),
                        exp.false())
    if tag.kind == "value":
        return conditions.check(where, tag.value, known).copy()
    if tag.kind == "stages":
        case = exp.Case()
        for stage in tag.stages:
            cond = conditions.check(f"{where} stage {stage.value}", stage.when, known)
            case = case.when(cond.copy(), _lit(stage.value))
        return case
    conditions.check(where, tag.field, known)
    field = exp.column(tag.field)
    case = exp.Case().when(exp.Is(this=field.copy(), expression=exp.null()), exp.null())
    edges = list(tag.bands)
    case = case.when(exp.LT(this=field.copy(), expression=_lit(edges[0])),
                     _lit(_band_label(None, edges[0])))
    for low, high in itertools.pairwise(edges):
        case = case.when(exp.LT(this=field.copy(), expression=_lit(high)),
                         _lit(_band_label(low, high)))
    return case.else_(_lit(_band_label(edges[-1], None)))


def _tag_conditions(tag: Tag) -> list[str]:
    return {"rule": [tag.when], "value": [tag.value], "bands": [tag.field],
            "stages": [s.when for s in tag.stages]}[tag.kind]


def tag_fields(tag: Tag, traits: Sequence[str]) -> list[str]:
    """The member traits a tag reads, in name order."""
    names: set[str] = set()
    for text in _tag_conditions(tag):
        tree = conditions.check(f"tag {tag.name}", text, traits)
        names |= {c.name for c in tree.find_all(exp.Column)}
    return sorted(names & set(traits))


def filled_sql(spec: TagFile, traits: Sequence[str]) -> str:
    """One row: for each trait a tag reads, how many members have a value."""
    fields = sorted({f for t in spec.tags for f in tag_fields(t, traits)})
    if not fields:
        return "SELECT 1 AS _none"
    return exp.select(*[exp.func("count", exp.column(f)).as_(f) for f in fields]).from_(
        "traits").sql(dialect="duckdb")


def tags_without_data(spec: TagFile, traits: Sequence[str], filled: Mapping[str, int]
                      ) -> dict[str, str]:
    """Tags not applied, each with why: a field it reads that no member has."""
    skipped: dict[str, str] = {}
    for tag in spec.tags:
        empty = [f for f in tag_fields(tag, traits) if not filled.get(f)]
        if empty:
            skipped[tag.name] = f"no member has {', '.join(empty)}"
    return skipped


def segments_without_data(spec: TagFile, skipped: Collection[str]) -> dict[str, str]:
    """Segments that read a tag not applied, each with why."""
    out: dict[str, str] = {}
    for segment in spec.segments:
        tree = conditions.parse(segment.when)
        needs = sorted({c.name for c in tree.find_all(exp.Column)} & set(skipped))
        if needs:
            out[segment.name] = f"reads tag {', '.join(needs)}, not applied"
    return out


def _check_names(spec: TagFile, traits: Sequence[str]) -> None:
    clash = sorted({t.name for t in spec.tags} & set(traits))
    if clash:
        raise conditions.ConditionError(
            f"tag name(s) {', '.join(clash)} already name a member trait; rename the tag")


def member_tags_sql(spec: TagFile, traits: Sequence[str], skipped: Collection[str] = ()
                    ) -> str:
    _check_names(spec, traits)
    select = exp.select("member_id", *[
        (exp.cast(exp.null(), "BOOLEAN" if t.kind == "rule" else "VARCHAR")
         if t.name in skipped else _tag_expression(t, traits)).as_(t.name)
        for t in spec.tags]).from_("traits")
    return select.sql(dialect="duckdb")


def _known(spec: TagFile, traits: Sequence[str]) -> list[str]:
    return [*traits, *(t.name for t in spec.tags)]


def segment_flags_sql(spec: TagFile, traits: Sequence[str]) -> str:
    known = _known(spec, traits)
    flags = [exp.func("coalesce", conditions.check(f"segment {s.name}", s.when, known).copy(),
                      exp.false()).as_(s.name) for s in spec.segments]
    select = exp.select("member_id", *flags).from_("traits").join(
        "member_tags", using=["member_id"])
    return select.sql(dialect="duckdb")


def _long(table: str, columns: Sequence[tuple[str, exp.Expression]], filtered: bool
          ) -> str:
    """One row per (name, member) from one column per name."""
    parts: list[exp.Select] = []
    for name, value in columns:
        part = exp.select(_lit(name).as_("name"), "member_id").from_(table)
        if filtered:
            part = part.where(value)
        else:
            part = part.select(exp.cast(value, "VARCHAR").as_("value")).where(
                exp.not_(exp.Is(this=value.copy(), expression=exp.null())))
        parts.append(part)
    if not parts:
        empty = exp.select(exp.cast(exp.null(), "VARCHAR").as_("name"),
                           exp.cast(exp.null(), "VARCHAR").as_("member_id"))
        if not filtered:
            empty = empty.select(exp.cast(exp.null(), "VARCHAR").as_("value"))
        return empty.where(exp.false()).sql(dialect="duckdb")
    return _union_all(parts)


def _union_all(parts: Sequence[exp.Select]) -> str:
    union: exp.Expression = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    return union.sql(dialect="duckdb")


def tags_long_sql(spec: TagFile) -> str:
    return _long("member_tags", [(t.name, exp.column(t.name)) for t in spec.tags], False)


def segments_long_sql(spec: TagFile) -> str:
    return _long("segment_flags", [(s.name, exp.column(s.name)) for s in spec.segments],
                 True)


def audiences_sql(spec: TagFile, traits: Sequence[str]) -> str:
    known = [*_known(spec, traits), *(s.name for s in spec.segments)]
    parts: list[exp.Select] = []
    for a in spec.audiences:
        cond = conditions.check(f"audience {a.name}", a.when, known).copy()
        if a.segment:
            cond = exp.and_(exp.column(a.segment), cond)
        bucket = exp.Mod(this=stable_hash(_lit(a.name), exp.column("member_id")),
                         expression=exp.Literal.number(HOLDOUT_BUCKETS))
        group = exp.If(this=exp.LT(this=bucket, expression=exp.Literal.number(
            round(a.holdout * HOLDOUT_BUCKETS))), true=_lit("holdout"), false=_lit("target"))
        parts.append(exp.select(_lit(a.name).as_("audience"), "member_id",
                                group.as_("group_name"))
                     .from_("traits").join("member_tags", using=["member_id"])
                     .join("segment_flags", using=["member_id"]).where(cond))
    if not parts:
        return ("SELECT NULL::VARCHAR AS audience, NULL::VARCHAR AS member_id, "
                "NULL::VARCHAR AS group_name WHERE false")
    return _union_all(parts)


def tag_steps(spec: TagFile, traits: Sequence[str], skipped: Collection[str] = ()
              ) -> list[Step]:
    """The tag stage after ``traits``: each member's tags and segment flags (scratch),
    then the long tables of tags and segments and the audiences."""
    return [Step("member_tags", member_tags_sql(spec, traits, skipped), scratch=True),
            Step("segment_flags", segment_flags_sql(spec, traits), scratch=True),
            Step("tags", tags_long_sql(spec)),
            Step("segments", segments_long_sql(spec)),
            Step("audiences", audiences_sql(spec, traits))]
