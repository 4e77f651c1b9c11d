"""pydantic's validation messages in 中文, by the error's ``type``.

pydantic words its messages in English only; a caller who asks for Chinese gets each
message from this table, its placeholders filled from the error's ``ctx`` (the same
values the English text names). A type the table does not know keeps its English text
after a Chinese lead, so nothing is ever lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ZH: dict[str, str] = {
    "missing": "必填字段",
    "extra_forbidden": "不允许多余的字段",
    "string_type": "应为字符串",
    "string_too_short": "至少需要{min_length}个字符",
    "string_too_long": "最多{max_length}个字符",
    "string_pattern_mismatch": "应符合格式 {pattern}",
    "string_unicode": "应为有效的 Unicode 文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数，无法读作整数",
    "int_from_float": "应为整数，不能带小数",
    "float_type": "应为数字",
    "float_parsing": "应为数字，无法读作数字",
    "greater_than": "应大于{gt}",
    "greater_than_equal": "应大于或等于{ge}",
    "less_than": "应小于{lt}",
    "less_than_equal": "应小于或等于{le}",
    "literal_error": "应为以下之一：{expected}",
    "bool_type": "应为布尔值（true 或 false）",
    "bool_parsing": "应为布尔值（true 或 false）",
    "datetime_type": "应为日期时间",
    "datetime_parsing": "应为有效的日期时间",
    "datetime_from_date_parsing": "应为有效的日期时间",
    "timezone_aware": "日期时间应带时区",
    "date_type": "应为日期",
    "date_parsing": "应为有效的日期（YYYY-MM-DD）",
    "json_invalid": "JSON 格式无效",
    "json_type": "应为 JSON",
    "model_attributes_type": "应为对象",
    "model_type": "应为对象",
    "dict_type": "应为对象",
    "list_type": "应为列表",
    "too_short": "至少需要{min_length}项",
    "too_long": "最多{max_length}项",
    "value_error": "取值无效：{error}",
}

# The schemas' own ValueError texts (api/schemas.py), as pydantic passes them in ``ctx``.
VALUE_ERRORS_ZH = {
    "must not contain NUL characters": "不能包含 NUL 字符",
    "is not valid Unicode text": "不是有效的 Unicode 文本",
    "needs min_level, space_id or both": "需要 min_level、space_id 或两者",
    "give either ids or all: true": "请给出 ids 或 all: true 二者之一",
}
UNKNOWN_ZH = "输入无效：{msg}"


def inner_message(error: Mapping[str, Any], lang: str) -> str:
    """One pydantic error's message in ``lang`` ('zh' or 'en')."""
    english = str(error.get("msg", ""))
    if lang != "zh":
        return english
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    if "error" in ctx:
        ctx["error"] = VALUE_ERRORS_ZH.get(ctx["error"], ctx["error"])
    template = ZH.get(str(error.get("type", "")))
    if template is None:
        return UNKNOWN_ZH.format(msg=english)
    try:
        return template.format_map(ctx)
    except (KeyError, IndexError, ValueError):
        return UNKNOWN_ZH.format(msg=english)
