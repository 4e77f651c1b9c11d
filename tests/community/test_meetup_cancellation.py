"""Giving up a meetup seat: the seat goes to the longest waiting, who is told; a place on
the waiting list is given up alone; after the check-in there is nothing to give up. Seats
freed at once by concurrent clients against the running server go to distinct members,
the first in line, and the count of seats taken stays true (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community.models import Meetup, Notification, Registration
from shequn.community.store import Store
from tests.community.helpers import member, staff
from tests.community.races import accounts, race
from tests.community.server import Server

SOON = (datetime.now(UTC) + timedelta(days=3)).isoformat()


def _status(client: TestClient, meetup: int, headers: dict[str, str]) -> str:
    answer = client.get(f"/api/v1/meetups/{meetup}/registrations/me", headers=headers)
    return answer.json()["status"] if answer.status_code == 200 else answer.json()["error"]


def test_a_freed_seat_goes_to_the_longest_waiting_who_is_told(client: TestClient,
                                                               app_store: Store) -> None:
    operator = staff(app_store, client, "door-op")
    meetup = client.post("/api/v1/meetups", headers=operator, json={
        "title": "济南用户见面会", "capacity": 1, "starts_at": SOON}).json()["id"]
    first, second, third = (member(client, f"fan{i}") for i in range(3))
    for who in (first, second, third):
        client.post(f"/api/v1/meetups/{meetup}/registrations", headers=who)
    assert [_status(client, meetup, w) for w in (first, second, third)] == [
        "registered", "waiting", "waiting"]

    assert client.delete(f"/api/v1/meetups/{meetup}/registrations/me",
                         headers=first).status_code == 204
    assert [_status(client, meetup, w) for w in (first, second, third)] == [
        "not_registered", "registered", "waiting"]
    mine = client.get(f"/api/v1/meetups/{meetup}/registrations/me", headers=second).json()
    assert mine["code"]  # the promoted member has her check-in code
    assert client.get(f"/api/v1/meetups/{meetup}", headers=second).json()["registered"] == 1
    with app_store.read() as session:
        told = session.scalars(select(Notification.kind).where(
            Notification.account_id == mine["account_id"])).all()
    assert told == ["meetup_seat"]

    # a place on the waiting list is given up alone: the seat stays with its holder
    assert client.delete(f"/api/v1/meetups/{meetup}/registrations/me",
                         headers=third).status_code == 204
    assert _status(client, meetup, second) == "registered"
    again = client.delete(f"/api/v1/meetups/{meetup}/registrations/me", headers=third)
    assert again.status_code == 409 and again.json()["error"] == "not_registered"

    checked = client.post(f"/api/v1/meetups/{meetup}/checkins", headers=operator,
                          json={"code": mine["code"]})
    assert checked.status_code == 200
    late = client.delete(f"/api/v1/meetups/{meetup}/registrations/me",
                         headers={**second, "Accept-Language": "zh"})
    assert late.status_code == 409 and late.json()["error"] == "already_checked_in"
    assert late.json()["message"] == "您已签到，无法取消报名。"


def test_a_member_promoted_a_second_time_is_told_again(client: TestClient,
                                                       app_store: Store) -> None:
    operator = staff(app_store, client, "door-op3")
    meetup = client.post("/api/v1/meetups", headers=operator, json={
        "title": "两次候补", "capacity": 1, "starts_at": SOON}).json()["id"]
    path = f"/api/v1/meetups/{meetup}/registrations"
    holder, waiter = member(client, "seat-holder"), member(client, "twice-waiting")
    client.post(path, headers=holder)
    client.post(path, headers=waiter)
    client.delete(f"{path}/me", headers=holder)  # the waiter takes the seat: told once
    client.post(path, headers=holder)            # the holder waits now
    client.delete(f"{path}/me", headers=waiter)  # the waiter gives it up: holder's again
    client.post(path, headers=waiter)            # and waits a second time
    client.delete(f"{path}/me", headers=holder)  # the seat is the waiter's again
    assert _status(client, meetup, waiter) == "registered"
    who = client.get(f"{path}/me", headers=waiter).json()["account_id"]
    with app_store.read() as session:
        told = session.scalars(select(Notification.kind).where(
            Notification.account_id == who)).all()
    assert told == ["meetup_seat", "meetup_seat"]


def test_the_last_seat_given_up_with_nobody_waiting_is_free_again(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "door-op2")
    meetup = client.post("/api/v1/meetups", headers=operator, json={
        "title": "Meet the makers", "capacity": 1, "starts_at": SOON}).json()["id"]
    alone, later = member(client, "alone"), member(client, "later")
    client.post(f"/api/v1/meetups/{meetup}/registrations", headers=alone)
    client.delete(f"/api/v1/meetups/{meetup}/registrations/me", headers=alone)
    assert client.get(f"/api/v1/meetups/{meetup}", headers=alone).json()["registered"] == 0
    taken = client.post(f"/api/v1/meetups/{meetup}/registrations", headers=later)
    assert taken.json()["status"] == "registered"


def test_seats_freed_at_once_go_to_distinct_members_first_in_line(
        server: Server, store_of: Store) -> None:
    operator = accounts(store_of, server.base, "dop", 1, role="operator")[0]
    holders = accounts(store_of, server.base, "holder", 6)
    waiting = accounts(store_of, server.base, "waiter", 10)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        meetup = client.post("/api/v1/meetups", headers=operator, json={
            "title": "Concurrency night", "capacity": 6, "starts_at": SOON}).json()["id"]
        path = f"/api/v1/meetups/{meetup}/registrations"
        for who in holders + waiting:  # in order: the waiting list's order is known
            assert client.post(path, headers=who).status_code == 201
    answers = race(server.base, [
        (lambda c, h=h: c.delete(f"{path}/me", headers=h)) for h in holders])
    assert [a.status_code for a in answers] == [204] * 6
    with store_of.read() as session:
        rows = session.scalars(select(Registration).where(Registration.meetup_id == meetup)
                               .order_by(Registration.created_at)).all()
        taken = session.get(Meetup, meetup).registered  # type: ignore[union-attr]
    assert [r.status for r in rows] == ["registered"] * 6 + ["waiting"] * 4
    assert taken == 6
