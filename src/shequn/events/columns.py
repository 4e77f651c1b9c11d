"""Column names as people write them, mapped to the contract's names.

Declared once, here: a source column whose name (trimmed, lower-cased) is listed
below is read as the contract column it stands for, never kept as an extra property.
``shequn ingest --map NAME=COLUMN`` adds or overrides entries for one ingest. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from shequn.events.types import FIELDS, IDENTITY_KEYS

SYNONYMS: dict[str, tuple[str, ...]] = {
    "phone": ("手机号", "手机", "手机号码", "电话", "联系电话", "mobile", "mobile_no",
              "tel", "telephone", "cellphone", "phone_number"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "e-mail", "mail", "email_address"),
    # not member_id: that is the id a build gives a member (exports), not a card number
    "member_no": ("会员号", "会员编号", "会员卡号", "membership_no", "member_number"),
    "ts": ("时间", "下单时间", "订单时间", "日期", "order_time", "timestamp", "time",
           "event_time", "created_at",
           # a purchase history's day or time of purchase, as shops export it
           "date", "datetime", "order_date", "purchase_date", "transaction_date",
           "下单日期", "购买日期", "购买时间", "交易日期", "交易时间", "支付时间"),
    "type": ("事件类型", "event_type"),
    "event_id": ("事件编号",),
    "customer_id": ("客户编号", "客户号", "客户id", "顾客编号", "customer", "customer_no",
                    "customer_number", "customer_code", "cust_id", "client_id"),
    "wechat_openid": ("openid",),
    "wechat_unionid": ("unionid",),
    "name": ("姓名", "名字"),
    "address": ("地址", "收货地址"),
    "city": ("城市",),
    "birth_date": ("生日", "出生日期"),
    "gender": ("性别",),
    "order_id": ("订单号", "订单编号"),
    "product_id": ("商品编号", "sku"),
    "category": ("品类", "类目"),
    "amount": ("金额", "实付金额", "订单金额", "支付金额", "成交金额", "付款金额", "销售额",
               "amount_paid", "paid_amount", "order_amount", "total_amount", "sales",
               "revenue"),
    "quantity": ("数量", "qty", "购买数量", "件数", "units"),
    "store_id": ("门店", "门店编号"),
    "serial": ("序列号", "机身号"),
}
TARGETS = frozenset(("event_id", "type", "ts", "properties", *IDENTITY_KEYS, *FIELDS))


def _check(table: Mapping[str, str]) -> None:
    unknown = sorted(set(table.values()) - TARGETS)
    if unknown:
        raise ValueError(f"column mapping names unknown columns {unknown}")


def builtin_names() -> dict[str, str]:
    """Each written name → the contract column it stands for."""
    return {alias.lower(): target for target, aliases in SYNONYMS.items() for alias in aliases}


def column_names(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The built-in names, with ``extra`` (written name → column) on top; an entry
    naming a column the contract does not have is refused by name."""
    names = builtin_names()
    if extra:
        _check(extra)
        names.update({k.strip().lower(): v for k, v in extra.items()})
    return names


_check(builtin_names())
