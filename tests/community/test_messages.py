"""pydantic's own validation messages in 中文 under ``Accept-Language: zh``; English as
pydantic words it."""

from __future__ import annotations

import re
import string

from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError

from shequn.api.messages import ZH, inner_message
from tests.community.helpers import member, space, staff

ASCII_WORD = re.compile(r"[A-Za-z]{3,}")


def _fields(answer: object) -> dict[str, dict[str, str]]:
    return {f["field"]: f for f in answer.json()["fields"]}  # type: ignore[attr-defined]


def test_inner_messages_are_chinese_under_zh_and_pydantics_under_en(
        client: TestClient) -> None:
    bad = {"username": "l", "password": "short", "phone": "", "surplus": 1,
           "language": "fr", "display_name": "a\u0000b"}
    zh = _fields(client.post("/api/v1/accounts", json=bad,
                             headers={"Accept-Language": "zh-CN,zh;q=0.9"}))
    en = _fields(client.post("/api/v1/accounts", json=bad,
                             headers={"Accept-Language": "en"}))
    assert zh["body.username"]["message"] == "至少需要2个字符"
    assert en["body.username"]["message"] == "String should have at least 2 characters"
    assert zh["body.surplus"]["message"] == "不允许多余的字段"
    assert en["body.surplus"]["message"] == "Extra inputs are not permitted"
    assert zh["body.language"]["message"].startswith("应为以下之一：")
    assert zh["body.display_name"]["message"] == "取值无效：不能包含 NUL 字符"
    assert "NUL characters" in en["body.display_name"]["message"]
    for field, error in zh.items():
        assert error["type"] == en[field]["type"]
        assert not ASCII_WORD.search(error["message"].replace("NUL", "")
                                     .replace("Unicode", "")), error


def test_missing_bounds_and_types_in_both_languages(client: TestClient,
                                                    app_store: object) -> None:
    operator = staff(app_store, client, "msg-op")  # type: ignore[arg-type]
    board = space(client, operator)
    fan = member(client, "msg-fan")
    client.post(f"/api/v1/spaces/{board}/join", headers=fan)
    packet = {"space_id": board, "total_fen": 0, "shares": "many"}
    zh = client.post("/api/v1/red-packets", json=packet,
                     headers={**operator, "Accept-Language": "zh"})
    assert zh.status_code == 422
    fields = _fields(zh)
    assert fields["body.total_fen"]["message"] == "应大于或等于1"
    assert fields["body.shares"]["message"] == "应为整数，无法读作整数"
    assert zh.json()["message"].startswith("请检查字段 ")
    missing = _fields(client.post(f"/api/v1/spaces/{board}/posts", json={},
                                  headers={**fan, "Accept-Language": "zh"}))
    assert missing["body.body"]["message"] == "必填字段"
    english = _fields(client.post(f"/api/v1/spaces/{board}/posts", json={}, headers=fan))
    assert english["body.body"]["message"] == "Field required"


def test_every_template_fills_from_the_context_pydantic_gives() -> None:
    class Sample(BaseModel):
        short: str = Field(min_length=3, max_length=4, pattern=r"^a+$")
        low: int = Field(ge=5, le=9)
        high: int = Field(gt=5, lt=9)

    errors = []
    for values in ({"short": "b", "low": 1, "high": 1}, {"short": "aaaaa", "low": 99,
                                                        "high": 99}, {"short": "bbb"}):
        try:
            Sample.model_validate(values)
        except ValidationError as error:
            errors.extend(error.errors())
    seen = set()
    for error in errors:
        text = inner_message(error, "zh")
        assert not text.startswith("输入无效"), error
        assert not set(text) & set("{}"), text
        seen.add(error["type"])
    assert {"string_too_short", "string_too_long", "greater_than_equal",
            "less_than_equal", "greater_than", "less_than", "missing"} <= seen
    for template in ZH.values():  # every placeholder is one pydantic fills
        names = {n for _, n, _, _ in string.Formatter().parse(template) if n}
        assert names <= {"min_length", "max_length", "pattern", "gt", "ge", "lt", "le",
                         "expected", "error"}
    unknown = inner_message({"type": "url_parsing", "msg": "Input should be a URL"}, "zh")
    assert unknown == "输入无效：Input should be a URL"
