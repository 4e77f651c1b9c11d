import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequn.events.keys import (
    normalise_email,
    normalise_key,
    normalise_one,
    normalise_opaque,
    normalise_phone,
)


@pytest.mark.parametrize("written", [
    "13812345678", "138 1234 5678", "138-1234-5678", "+8613812345678", "+86 138 1234 5678",
    "0086 13812345678", "86-13812345678", "(+86)138-1234-5678", "１３８１２３４５６７８",
    "＋８６　１３８　１２３４　５６７８", " 13812345678 ",
])
def test_chinese_mobile_in_any_written_form_becomes_e164(written: str) -> None:
    result = normalise_phone(pa.array([written]))
    assert result.values.to_pylist() == ["+8613812345678"]
    assert result.invalid.to_pylist() == [False]


def test_landline_and_foreign_numbers_go_through_phonenumbers() -> None:
    result = normalise_phone(pa.array(["010-6552 1234", "+1 650 253 0000", "+44 20 7946 0958"]))
    assert result.values.to_pylist() == ["+861065521234", "+16502530000", "+442079460958"]


@pytest.mark.parametrize("bad", ["12345", "abc", "1381234567", "+86 000 0000"])
def test_impossible_numbers_are_invalid_not_guessed(bad: str) -> None:
    result = normalise_phone(pa.array([bad]))
    assert result.values.to_pylist() == [None]
    assert result.invalid.to_pylist() == [True]


def test_absent_values_are_neither_values_nor_errors() -> None:
    for norm in (normalise_phone, normalise_email, normalise_opaque):
        result = norm(pa.array([None, "", "   "], pa.string()))
        assert result.values.to_pylist() == [None, None, None]
        assert result.invalid.to_pylist() == [False, False, False]


@pytest.mark.parametrize(("written", "expected"), [
    ("Chen.Li@QQ.com", "chen.li@qq.com"),
    ("  chen@163.com ", "chen@163.com"),
    ("ｃｈｅｎ＠ｑｑ．ｃｏｍ", "chen@qq.com"),
    ("chen @ qq.com", "chen@qq.com"),
    ("CHEN+crm@Example.co.uk", "chen+crm@example.co.uk"),
])
def test_email_case_spaces_and_full_width(written: str, expected: str) -> None:
    assert normalise_email(pa.array([written])).values.to_pylist() == [expected]


@pytest.mark.parametrize("bad", ["chen@", "@qq.com", "chen.qq.com", "chen@qq"])
def test_malformed_email_is_invalid(bad: str) -> None:
    assert normalise_email(pa.array([bad])).invalid.to_pylist() == [True]


def test_system_ids_keep_their_case_but_lose_width_and_spaces() -> None:
    assert normalise_opaque(pa.array([" oHr0AB ", "ＭＯ１２"])).values.to_pylist() == [
        "oHr0AB", "MO12"]


@given(st.text(alphabet="0123456789+-() ０１２３４５６７８９", max_size=20))
def test_phone_normalisation_is_idempotent(text: str) -> None:
    once = normalise_phone(pa.array([text]))
    value = once.values.to_pylist()[0]
    if value is not None:
        assert normalise_phone(pa.array([value])).values.to_pylist() == [value]


WRITTEN = ["13812345678", " +86 138-1234-5678 ", "0086 13812345678", "8613812345678",
           "１３８１２３４５６７８", "(010) 6552 9988", "+1 650 253 0000", "138123", "abc",
           "\t", "", "   ", "Chen.Li@Example.COM", " chen li@qq.com", "ｃｈｅｎ＠ｑｑ．ｃｏｍ",
           "chen@", "ÉLODIE@exemple.fr", "陈女士@例子.中国", "oHr0AB", "ＭＯ１２", "M900000123",
           "\u00a013812345678\u3000", "1381234567８"]


@pytest.mark.parametrize("key", ["phone", "email", "member_no"])
def test_one_value_is_normalised_as_a_column_is(key: str) -> None:
    column = normalise_key(key, pa.array(WRITTEN, pa.string())).values.to_pylist()
    assert [normalise_one(key, w) for w in WRITTEN] == column


@given(st.text(alphabet="0123456789+-() ０１２３４５６７８９@.abcXYZ\u3000\t中", max_size=24))
def test_any_text_is_normalised_alike_one_by_one(text: str) -> None:
    for key in ("phone", "email", "device_id"):
        assert normalise_one(key, text) == normalise_key(key, pa.array([text])).values[0].as_py()
