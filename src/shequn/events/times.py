"""Event times in the forms exports write them, to UTC, vectorised over Arrow arrays.

Accepted: ISO 8601 with a zone (``2024-05-01T10:00:00+08:00``, ``...Z``); wall-clock
times without a zone (``2024-05-01 10:00:00``, ``2024/5/1 10:00``, ``2024-05-01T10:00``,
a bare date, a compact date ``20240501`` or ``20240501 10:00:00``), Excel serial dates
(``45413.4166``: days since 1899-12-30) and zone-less Parquet timestamps, all read
in the source's zone when one is given; epoch seconds and epoch milliseconds (instants:
no zone needed). Without a source zone the zone-less forms are refused, with a reason
that says how to give one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from shequn.events.keys import clean_text
from shequn.events.schema import TS_TYPE

_ZONED = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"
_WALL = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"
_DECIMAL = r"^\d+(\.\d+)?$"
# YYYYMMDD, as many Chinese exports write a day (years 1900-2199). As a number it would
# lie between Excel serials and epoch seconds, a range no other form uses.
_COMPACT = (r"^(19|20|21)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"
            r"([T ]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
# A number's size tells its unit: Excel serial days (years 1900-2173), epoch seconds
# (1973-5138), epoch milliseconds (1973 on).
EXCEL_MAX = 100_000
EPOCH_S_MIN = 100_000_000
EPOCH_MS_MIN = 100_000_000_000
EPOCH_MS_MAX = 100_000_000_000_000
EXCEL_EPOCH_DAYS = 25_569  # 1970-01-01 as an Excel serial (1900 date system)
_US_PER_DAY = 86_400_000_000
_NULL_STR = pa.scalar(None, pa.string())
_NULL_TS = pa.scalar(None, TS_TYPE)

NO_ZONE = ("ts: no time zone (give the source's zone: shequn ingest --tz Asia/Shanghai, "
           "or the source_timezone setting)")
NOT_A_TIME = ("ts: not a time (ISO 8601, YYYY-MM-DD hh:mm[:ss], YYYY/MM/DD hh:mm, YYYYMMDD, "
              "an Excel serial date or epoch seconds/milliseconds)")


@dataclass(frozen=True)
class Times:
    values: pa.Array  # UTC timestamps, null where refused or absent
    unparsable: pa.Array  # present but in no accepted form
    zoneless: pa.Array  # a wall-clock time refused because no source zone was given


def _localise(naive: pa.Array, zone: str | None) -> pa.Array:
    """Wall-clock (zone-less) timestamps read in ``zone``, as UTC."""
    if zone is None:
        return pa.nulls(len(naive), TS_TYPE)
    local = pc.assume_timezone(naive.cast(pa.timestamp("us")), zone,
                               ambiguous="earliest", nonexistent="earliest")
    return local.cast(TS_TYPE)


def _wall_text(text: pa.Array) -> pa.Array:
    """``2024/5/1 9:05`` → ``2024-05-01 09:05``, ``20240501`` → ``2024-05-01``: the
    separators and widths Arrow reads."""
    text = pc.replace_substring_regex(text, r"^(\d{4})(\d{2})(\d{2})(\D|$)", r"\1-\2-\3\4")
    text = pc.replace_substring(text, "/", "-")
    text = pc.replace_substring_regex(text, r"^(\d{4})-(\d)-", r"\1-0\2-")
    text = pc.replace_substring_regex(text, r"^(\d{4}-\d{2})-(\d)(\D|$)", r"\1-0\2\3")
    text = pc.replace_substring_regex(text, r"^(\d{4}-\d{2}-\d{2})[T ]+(\d):", r"\1 0\2:")
    return pc.replace_substring_regex(text, r"^(\d{4}-\d{2}-\d{2})[T ]+", r"\1 ")


def _cast_or_null(text: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array]:
    """Cast well-shaped text; an impossible value (month 13) becomes null and is flagged."""
    try:
        return text.cast(target), pc.and_(pc.is_valid(text), pa.scalar(False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = []
        for item in text.to_pylist():  # rare: only batches holding an impossible value
            try:
                values.append(pa.scalar(item).cast(target).value if item else None)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                values.append(None)
        arr = pa.array(values, pa.int64()).cast(target)
        return arr, pc.and_(pc.is_valid(text), pc.is_null(arr))


def _from_numbers(numbers: pa.Array, zone: str | None) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(UTC times, refused as no-zone, unparsable) for epoch and Excel serial numbers."""
    x = numbers.cast(pa.float64())
    excel = pc.fill_null(pc.and_(pc.greater(x, 0), pc.less(x, EXCEL_MAX)), False)
    secs = pc.fill_null(pc.and_(pc.greater_equal(x, EPOCH_S_MIN), pc.less(x, EPOCH_MS_MIN)),
                        False)
    millis = pc.fill_null(pc.and_(pc.greater_equal(x, EPOCH_MS_MIN),
                                  pc.less(x, EPOCH_MS_MAX)), False)
    micros = pc.case_when(
        pc.make_struct(secs, millis),
        pc.multiply(x, 1e6), pc.multiply(x, 1e3),
    )
    instants = pc.round(micros).cast(pa.int64()).cast(TS_TYPE)
    serial_us = pc.round(pc.multiply(pc.subtract(x, EXCEL_EPOCH_DAYS), _US_PER_DAY))
    serial = pc.if_else(excel, serial_us, pa.scalar(None, pa.float64())).cast(pa.int64())
    wall = _localise(serial.cast(pa.timestamp("us")), zone)
    values = pc.if_else(excel, wall, instants)
    known = pc.or_(excel, pc.or_(secs, millis))
    zoneless = pc.and_(excel, pa.scalar(zone is None))
    return values, zoneless, pc.and_(pc.is_valid(x), pc.invert(known))


def parse_times(values: pa.Array, zone: str | None) -> Times:
    """Parse a column of event times (text, numbers or timestamps) to UTC."""
    if pa.types.is_timestamp(values.type):
        present = pc.is_valid(values)
        if values.type.tz is not None:
            return Times(values.cast(TS_TYPE), pc.and_(present, pa.scalar(False)),
                         pc.and_(present, pa.scalar(False)))
        return Times(_localise(values, zone), pc.and_(present, pa.scalar(False)),
                     pc.and_(present, pa.scalar(zone is None)))
    if pa.types.is_date(values.type):
        return parse_times(values.cast(pa.timestamp("us")), zone)
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        got, zoneless, bad = _from_numbers(values, zone)
        return Times(got, bad, zoneless)

    text = clean_text(values if pa.types.is_string(values.type) else values.cast(pa.string()))
    zoned = pc.fill_null(pc.match_substring_regex(text, _ZONED), False)
    if pc.all(pc.or_(zoned, pc.is_null(text))).as_py():  # each written with its zone:
        out, unparsable = _cast_or_null(text, TS_TYPE)   # no other form to look for
        return Times(out, unparsable, pc.and_(pc.is_valid(text), pa.scalar(False)))
    wall_text = _wall_text(text)
    wall = pc.fill_null(pc.match_substring_regex(wall_text, _WALL), False)
    compact = pc.fill_null(pc.match_substring_regex(text, _COMPACT), False)
    number = pc.and_(pc.fill_null(pc.match_substring_regex(text, _DECIMAL), False),
                     pc.invert(compact))
    out, bad_zoned = _cast_or_null(pc.if_else(zoned, text, _NULL_STR), TS_TYPE)
    unparsable = bad_zoned
    zoneless = pc.and_(wall, pa.scalar(zone is None))
    if pc.any(wall).as_py():
        naive, bad_wall = _cast_or_null(pc.if_else(wall, wall_text, _NULL_STR),
                                        pa.timestamp("us"))
        out = pc.if_else(wall, _localise(naive, zone), out)
        unparsable = pc.or_(unparsable, bad_wall)
        zoneless = pc.and_(zoneless, pc.invert(bad_wall))
    if pc.any(number).as_py():
        nums = pc.if_else(number, text, _NULL_STR).cast(pa.float64())
        got, num_zoneless, bad_num = _from_numbers(nums, zone)
        out = pc.if_else(number, got, out)
        zoneless = pc.or_(zoneless, num_zoneless)
        unparsable = pc.or_(unparsable, bad_num)
    shaped = pc.or_(zoned, pc.or_(wall, number))
    unparsable = pc.or_(unparsable, pc.and_(pc.is_valid(text), pc.invert(shaped)))
    out = pc.if_else(pc.or_(unparsable, zoneless), _NULL_TS, out)
    return Times(out, unparsable, zoneless)
