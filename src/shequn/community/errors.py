"""Why the community refused an action, as a stable machine-readable reason.

The domain raises :class:`Refused`; the API turns the reason into a 4xx answer whose
JSON names it, in the caller's language.
"""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """An action the rules do not allow, or input that names nothing that exists.

    ``reason`` is one of :data:`REASONS`; ``details`` are values the message may name.
    """

    def __init__(self, reason: str, **details: Any) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown refusal reason {reason!r}")
        super().__init__(reason)
        self.reason = reason
        self.details = details


# The HTTP answer of each kind of refusal, for every entry point that speaks HTTP (the
# API and the web pages answer alike).
HTTP_STATUS = {"not_found": 404, "forbidden": 403, "unauthorized": 401, "conflict": 409,
               "invalid": 422, "too_many": 429}

# reason -> (kind, English, 中文). The kind says which 4xx answer it becomes.
REASONS: dict[str, tuple[str, str, str]] = {
    "not_found": ("not_found", "No such {what}.", "找不到该{what}。"),
    "not_allowed": ("forbidden", "You are not allowed to do this.", "您无权执行此操作。"),
    "not_signed_in": ("unauthorized", "Sign in first.", "请先登录。"),
    "bad_credentials": ("unauthorized", "Wrong user name or password.", "用户名或密码错误。"),
    "username_taken": ("conflict", "That user name is taken.", "该用户名已被使用。"),
    "key_taken": ("conflict", "That {key} belongs to another account.",
                  "该{key}已属于另一个账号。"),
    "invalid_key": ("invalid", "{key} is not valid: {why}", "{key}无效：{why}"),
    "weak_password": ("invalid", "The password needs at least {min} characters.",
                      "密码至少需要{min}个字符。"),
    "invalid_transition": ("conflict", "Cannot go from {from_state} to {to_state}.",
                           "不能从{from_state}变为{to_state}。"),
    "already_member": ("conflict", "Already a member of this space.", "已经是该空间的成员。"),
    "not_member": ("forbidden", "Join the space first.", "请先加入该空间。"),
    "banned": ("forbidden", "You are banned from this space.", "您已被禁止进入该空间。"),
    "invite_only": ("forbidden", "This space admits members by invitation.",
                    "该空间仅限邀请加入。"),
    "closed_space": ("forbidden", "Only the owners admit members to this space.",
                     "该空间仅由群主拉人加入。"),
    "already_supported": ("conflict", "You already support this idea.", "您已经支持过这个创意。"),
    "budget_exhausted": ("conflict", "Your {budget} supports in this space are all in use.",
                         "您在该空间的{budget}票已经用完。"),
    "below_threshold": ("conflict", "This idea has {supports} supports; it qualifies at "
                        "{threshold}.", "该创意只有{supports}个支持，达到{threshold}个才能达标。"),
    "not_open": ("conflict", "This {what} is not open.", "该{what}尚未开放或已结束。"),
    "sold_out": ("conflict", "Not enough stock left: {left} remaining.",
                 "库存不足：仅剩{left}件。"),
    "already_grabbed": ("conflict", "You already grabbed this red packet.", "您已经抢过这个红包。"),
    "all_grabbed": ("conflict", "This red packet is empty.", "红包已被抢完。"),
    "bad_split": ("invalid", "{total_fen} fen cannot give {shares} shares of at least 1 fen.",
                  "{total_fen}分无法分成{shares}份（每份至少1分）。"),
    "idempotency_mismatch": ("conflict", "This Idempotency-Key was used for another request.",
                             "该 Idempotency-Key 已用于另一个请求。"),
    "already_registered": ("conflict", "You are already registered.", "您已经报名。"),
    "bad_code": ("invalid", "This check-in code is not valid for this meetup.",
                 "该签到码对本次活动无效。"),
    "not_registered": ("conflict", "Register for the meetup first.", "请先报名该活动。"),
    "already_checked_in": ("conflict", "You are checked in already: there is no seat to "
                           "give up.", "您已签到，无法取消报名。"),
    "unknown_segment": ("not_found", "No segment '{segment}' with members in the current "
                        "build.", "当前构建中没有名为“{segment}”且有成员的分群。"),
    "no_build": ("conflict", "There is no build to read segments from: run shequn build.",
                 "还没有可读取分群的构建：请先运行 shequn build。"),
    "perk_locked": ("forbidden", "This perk is not unlocked for you yet.",
                    "您尚未解锁该权益。"),
    "already_claimed": ("conflict", "You already claimed this perk.", "您已经领取过该权益。"),
    "cannot_follow_self": ("invalid", "You cannot follow yourself.", "不能关注自己。"),
    "team_closed": ("conflict", "This co-design team has disbanded.", "该共创团队已解散。"),
    "team_full": ("conflict", "The co-design team is full ({cap} members).",
                  "共创团队已满（{cap}人）。"),
    "already_in_team": ("conflict", "Already in this co-design team.",
                        "已经是该共创团队的成员。"),
    "not_in_team": ("conflict", "Not in this co-design team.", "不是该共创团队的成员。"),
    "not_partner": ("invalid", "That account is not a partner's.", "该账号不是合作伙伴账号。"),
    "already_adopted": ("conflict", "This suggestion is already adopted.", "该建议已被采纳。"),
    "already_entered": ("conflict", "You already entered this contest.", "您已经参加过该比赛。"),
    "already_voted": ("conflict", "You already voted for this entry.", "您已经为该作品投过票。"),
    "votes_used": ("conflict", "Your {budget} votes in this contest are all used.",
                   "您在本次比赛的{budget}票已经用完。"),
    "not_judge": ("forbidden", "Only the contest's judges score entries.",
                  "只有本次比赛的评委可以评分。"),
    "presale_exists": ("conflict", "This idea already has a pre-sale ({presale_id}).",
                       "该创意已有预售（{presale_id}）。"),
    "sensitive_words": ("invalid", "Your text contains words this community does not "
                        "accept: {words}.", "您的内容包含本社区不允许的词语：{words}。"),
    "rate_limited": ("too_many", "New accounts may post (posts, replies, ideas and "
                     "suggestions) {limit} times an hour; try again in {retry_after} seconds.",
                     "新账号每小时最多发布（帖子、回复、创意和建议）{limit}次，"
                     "请在{retry_after}秒后再试。"),
    "already_flagged": ("conflict", "You already flagged this post.", "您已经举报过这条帖子。"),
    "word_listed": ("conflict", "That word is on the list already.", "该词语已在列表中。"),
    "empty_word": ("invalid", "Nothing is left of that word without its spaces and "
                   "punctuation.", "去掉空格和标点后，该词语为空。"),
    "sign_in_locked": ("too_many", "Too many wrong passwords for this user name or from "
                       "this address; try again in {minutes} minutes.",
                       "该用户名或该网络地址的密码错误次数过多，请在{minutes}分钟后再试。"),
    "nothing_to_decide": ("conflict", "This post waits for no decision.",
                          "该帖子没有待处理的审核。"),
    "name_taken": ("conflict", "The name {name} is used already.", "名称 {name} 已被使用。"),
    "too_many_kept": ("conflict", "At most {limit} are kept: remove one first.",
                      "最多保存{limit}个：请先删除一个。"),
}


# The things a refusal names (``what``), in 中文: the domain names them in English.
NOUNS_ZH = {
    "account": "账号", "member": "会员", "space": "空间", "post": "帖子", "reply": "回复",
    "idea": "创意", "original idea": "原创意", "launched idea": "已上市的创意",
    "idea in co-design": "共创中的创意", "co-design team": "共创团队",
    "suggestion": "建议", "contest": "比赛", "contest entry": "参赛作品",
    "contest call": "比赛征集", "contest vote": "比赛投票", "contest review": "比赛评审",
    "contest results": "比赛结果", "pre-sale": "预售", "draft pre-sale": "预售草稿",
    "campaign past its deadline": "已过截止日期的预售", "tier": "档位", "red packet": "红包",
    "meetup": "活动", "perk": "权益", "level": "等级",
    "request": "请求", "word": "词语", "segment": "分群", "audience": "受众",
}


def message(reason: str, language: str, details: dict[str, Any]) -> str:
    """The refusal in words: ``language`` 'zh' or 'en'."""
    _, english, chinese = REASONS[reason]
    template = chinese if language == "zh" else english
    if language == "zh" and details.get("what") in NOUNS_ZH:
        details = {**details, "what": NOUNS_ZH[details["what"]]}
    try:
        return template.format(**details)
    except (KeyError, IndexError):
        return template
