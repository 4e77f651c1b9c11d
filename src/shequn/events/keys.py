"""Normalisation of identity keys, vectorised over Arrow arrays.

The common written forms are handled by Arrow regular expressions; only the distinct
values that miss the fast path are handed to ``phonenumbers`` / ``email-validator``,
so the cost of the slow libraries grows with the number of odd values, not of rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "CN"

# +86 / 0086 / 86 prefixes are optional; a Chinese mobile is 1[3-9] and nine more digits.
_CN_MOBILE = r"^(?:\+86|0086|86)?(1[3-9]\d{9})$"
_SIMPLE_EMAIL = r"^[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}$"


@dataclass(frozen=True)
class Normalised:
    """Normalised values (null where absent or invalid) and the mask of invalid inputs."""

    values: pa.Array
    invalid: pa.Array


def clean_text(values: pa.Array) -> pa.Array:
    """NFKC (full-width to half-width), trimmed; empty strings become null."""
    if not pc.all(pc.string_is_ascii(values)).as_py():  # NFKC is costly; ASCII needs none
        values = pc.utf8_normalize(values, "NFKC")
    text = pc.utf8_trim_whitespace(values)
    empty = pc.equal(pc.utf8_length(text), 0)
    if not pc.any(empty).as_py():
        return text
    return pc.if_else(empty, pa.scalar(None, pa.string()), text)


def _map_distinct(values: pa.Array, mask: pa.Array, convert: object) -> pa.Array:
    """Apply ``convert`` (str -> str | None) to the distinct values selected by ``mask``."""
    chosen = pc.filter(values, mask)
    distinct = pc.unique(chosen).to_pylist()
    mapping = {v: convert(v) for v in distinct}  # type: ignore[operator]
    keys = pa.array(list(mapping.keys()), pa.string())
    out = pa.array(list(mapping.values()), pa.string())
    idx = pc.index_in(values, value_set=keys)
    return pc.take(out, idx)


def _e164(raw: str) -> str | None:
    try:
        parsed = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(values: pa.Array) -> Normalised:
    text = clean_text(values)
    compact = pc.replace_substring_regex(text, r"[^\d+]", "")
    fast_ok = pc.fill_null(pc.match_substring_regex(compact, _CN_MOBILE), False)
    fast = pc.replace_substring_regex(compact, _CN_MOBILE, r"+86\1")
    slow_mask = pc.and_(pc.is_valid(text), pc.invert(fast_ok))
    if pc.any(slow_mask).as_py():
        slow = _map_distinct(text, slow_mask, _e164)
        out = pc.if_else(fast_ok, fast, slow)
    else:
        out = pc.if_else(fast_ok, fast, pa.scalar(None, pa.string()))
    invalid = pc.and_(pc.is_valid(text), pc.is_null(out))
    return Normalised(out, invalid)


def _email(raw: str) -> str | None:
    try:
        info = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        return None
    return info.normalized.lower()


def normalise_email(values: pa.Array) -> Normalised:
    text = pc.utf8_lower(pc.replace_substring(clean_text(values), " ", ""))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    fast_ok = pc.fill_null(pc.match_substring_regex(text, _SIMPLE_EMAIL), False)
    slow_mask = pc.and_(pc.is_valid(text), pc.invert(fast_ok))
    if pc.any(slow_mask).as_py():
        out = pc.if_else(fast_ok, text, _map_distinct(text, slow_mask, _email))
    else:
        out = text
    invalid = pc.and_(pc.is_valid(text), pc.is_null(out))
    return Normalised(out, invalid)


def normalise_opaque(values: pa.Array) -> Normalised:
    """Ids issued by systems (openid, member number...): only width and spaces fixed."""
    out = clean_text(values)
    return Normalised(out, pc.and_(pc.is_valid(out), pa.scalar(False)))


NORMALISERS = {"phone": normalise_phone, "email": normalise_email}


def normalise_key(key: str, values: pa.Array) -> Normalised:
    return NORMALISERS.get(key, normalise_opaque)(values)


_WHITESPACE = " \t\n\v\f\r"  # what Arrow's trim removes from ASCII text
_NOT_PHONE = re.compile(r"[^0-9+]")
_CN_MOBILE_ONE = re.compile(_CN_MOBILE)
_SIMPLE_EMAIL_ONE = re.compile(_SIMPLE_EMAIL)


def normalise_one(key: str, value: str) -> str | None:
    """One value normalised exactly as :func:`normalise_key` normalises it, without
    Arrow's per-call cost (a lookup normalises one value for every kind of key): the
    same fast patterns in Python's ``re``, the same slow libraries; text that is not
    ASCII is cleaned by Arrow itself."""
    if value.isascii():
        text: str | None = value.strip(_WHITESPACE) or None
    else:
        text = clean_text(pa.array([value], pa.string()))[0].as_py()
    if text is None:
        return None
    if key == "phone":
        fast = _CN_MOBILE_ONE.fullmatch(_NOT_PHONE.sub("", text))
        return "+86" + fast.group(1) if fast else _e164(text)
    if key == "email":
        text = text.replace(" ", "")
        text = (text.lower() if text.isascii()
                else pc.utf8_lower(pa.array([text], pa.string()))[0].as_py())
        if not text:
            return None
        return text if _SIMPLE_EMAIL_ONE.fullmatch(text) else _email(text)
    return text
