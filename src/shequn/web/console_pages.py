"""The console's routers beyond the overview, Member 360° and segments, in one list
the web application includes: community operations and staff."""

from __future__ import annotations

from fastapi import APIRouter

from shequn.web import (
    console_campaigns,
    console_community,
    console_contests,
    console_ideas,
    console_staff,
)

ROUTERS: tuple[APIRouter, ...] = (console_community.router, console_ideas.router,
                                  console_contests.router, console_campaigns.router,
                                  console_staff.router)
