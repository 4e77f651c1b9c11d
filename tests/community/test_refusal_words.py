"""A refusal that names a thing names it in the caller's language: every noun the
domain puts into ``what`` has its 中文, and a Chinese answer carries no English noun."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

import shequn.community
from shequn.community.errors import NOUNS_ZH, message
from tests.community.helpers import member

COMMUNITY = Path(shequn.community.__file__).parent
# what="...", and the nouns handed to the helpers that refuse on the caller's behalf
NAMED = re.compile(r'what="([^"]+)"|require_visible\([^)]*"([^"]+)"\)'
                   r'|_require_open\([^)]*"[a-z_]+", "([^"]+)"')


def test_every_noun_the_domain_names_has_its_chinese() -> None:
    named = {next(g for g in m.groups() if g) for path in COMMUNITY.glob("*.py")
             for m in NAMED.finditer(path.read_text(encoding="utf-8"))}
    assert {"account", "idea", "red packet", "contest vote"} <= named  # the scan finds them
    assert named - NOUNS_ZH.keys() == set()


def test_a_chinese_refusal_names_the_thing_in_chinese(client: TestClient) -> None:
    headers = member(client, "xiaoyu", phone="13900000077")
    answer = client.get("/api/v1/ideas/987654", headers={**headers, "Accept-Language": "zh"})
    assert answer.status_code == 404
    assert answer.json()["message"] == "找不到该创意。"
    answer = client.get("/api/v1/ideas/987654", headers={**headers, "Accept-Language": "en"})
    assert answer.json()["message"] == "No such idea."
    # a noun the caller already put into words passes as it is
    assert message("not_found", "zh", {"what": "用户"}) == "找不到该用户。"
