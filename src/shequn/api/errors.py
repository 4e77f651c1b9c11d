"""Every refusal and every invalid input becomes a 4xx JSON answer that names the reason
(and the field), in 中文 or English by ``Accept-Language``; nothing answers 500 for input."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError

from shequn.api.messages import inner_message
from shequn.community.errors import HTTP_STATUS, REASONS, Refused, message


def language(request: Request) -> str:
    """'zh' when the caller's first choice is Chinese, else 'en'."""
    header = request.headers.get("accept-language", "")
    first = header.split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"


def refusal_body(reason: str, lang: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"error": reason, "message": message(reason, lang, details),
            "details": {k: v for k, v in details.items() if isinstance(v, str | int | float)}}


_FIELD_WORDS = {"en": "Check the field {field}: {why}", "zh": "请检查字段 {field}：{why}"}


def install(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        status = HTTP_STATUS[REASONS[exc.reason][0]]
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status == 429:  # the seconds until the caller may try again
            headers = {"Retry-After": str(exc.details.get("retry_after", 60))}
        return JSONResponse(refusal_body(exc.reason, language(request), exc.details),
                            status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = language(request)
        fields = [{"field": ".".join(str(p) for p in err.get("loc", ())),
                   "message": inner_message(err, lang), "type": str(err.get("type", ""))}
                  for err in exc.errors()]
        first = fields[0] if fields else {"field": "?", "message": ""}
        text = _FIELD_WORDS[lang].format(field=first["field"], why=first["message"])
        return JSONResponse({"error": "invalid_input", "message": text, "fields": fields},
                            status_code=422)

    @app.exception_handler(IntegrityError)
    async def _conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        # A unique key two requests raced for; the loser is told, nothing is half-written.
        words = {"en": "This conflicts with another change; try again.",
                 "zh": "与另一项修改冲突，请重试。"}
        return JSONResponse({"error": "conflict", "message": words[language(request)]},
                            status_code=409)

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError) -> JSONResponse:
        words = {"en": "The service is busy; try again in a moment.",
                 "zh": "服务繁忙，请稍后重试。"}
        return JSONResponse({"error": "busy", "message": words[language(request)]},
                            status_code=503, headers={"Retry-After": "1"})
