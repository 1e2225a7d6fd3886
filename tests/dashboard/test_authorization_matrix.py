"""Every role x every route (API and dashboard) x own clinic, another clinic and a missing
id, generated from the application's route table.

Each route must have a rule below saying who may use it and how to address it; a route
added without one fails the first test, so that it cannot pass unnoticed. The rules are
the documented policy (docs/API.md), not what the code happens to do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Mount, Route

from services.adapters.sql.checkpoint_store import SqlCheckpointStore
from services.adapters.sql.tables import event_log
from services.chain.note import Signer, generate_key
from services.checkpointing import CheckpointWriter
from services.clock import SystemClock
from tests.dashboard.conftest import Dashboard
from tests.factories import document
from tests.http.support import CLINIC, OTHER_CLINIC, OTHER_SESSION

Target = Literal["own", "other", "missing"]
TARGETS: Final[tuple[Target, ...]] = ("own", "other", "missing")
ROLES: Final = ("publisher", "officer", "regulator", "admin")
"""The tokens of ``issue_tokens``, one per role, each (but admin) for the demo clinic."""

_CLINICS: Final = {"own": CLINIC, "other": OTHER_CLINIC, "missing": "clinic-nowhere"}
_SESSIONS: Final = {"own": "sess-demo-05", "other": OTHER_SESSION, "missing": "sess-nowhere"}
_PERIOD: Final = {"from": "2026-11-24", "to": "2026-11-24"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    form: dict[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    roles: frozenset[str]
    """The roles that may use the route (for their own clinics); empty for public ones."""
    call: Callable[[Target, dict[str, str]], Call | None]
    """The request for a target, given the seeded event ids; None where the target does
    not apply (a route of no clinic has no "other clinic")."""
    public: bool = False
    dashboard: bool = False


def _fixed(method: str, path: str, **kw: Any) -> Callable[[Target, dict[str, str]], Call | None]:
    def call(target: Target, _: dict[str, str]) -> Call | None:
        return Call(method=method, path=path, **kw) if target == "own" else None

    return call


def _clinic(method: str, template: str, **kw: Any) -> Callable[[Target, dict[str, str]], Call]:
    def call(target: Target, _: dict[str, str]) -> Call:
        return Call(method=method, path=template.format(clinic=_CLINICS[target]), **kw)

    return call


def _session(template: str) -> Callable[[Target, dict[str, str]], Call]:
    def call(target: Target, _: dict[str, str]) -> Call:
        return Call(method="GET", path=template.format(session=_SESSIONS[target]))

    return call


def _event_for(clinic: str) -> dict[str, Any]:
    return document("session.started", clinic_id=clinic, session_id=f"sess-matrix-{clinic}")


def _publish(target: Target, _: dict[str, str]) -> Call:
    return Call(method="POST", path="/v1/events", json={"events": [_event_for(_CLINICS[target])]})


def _export(target: Target, _: dict[str, str]) -> Call:
    return Call(method="POST", path="/v1/exports", json={"clinic_id": _CLINICS[target], **_PERIOD})


def _export_form(target: Target, _: dict[str, str]) -> Call:
    return Call(method="POST", path="/exports", form={"clinic": _CLINICS[target], **_PERIOD})


def _export_id(template: str) -> Callable[[Target, dict[str, str]], Call | None]:
    # No export exists in the seeded store (making one needs the broker): a missing id is
    # what every role can be asked about.
    def call(target: Target, _: dict[str, str]) -> Call | None:
        if target != "missing":
            return None
        return Call(method="GET", path=template.format(export=uuid.uuid4()))

    return call


def _inclusion(target: Target, events: dict[str, str]) -> Call:
    return Call(method="GET", path="/v1/log/proofs/inclusion", params={"event_id": events[target]})


def _profile(target: Target, _: dict[str, str]) -> Call:
    return Call(
        method="POST",
        path=f"/v1/clinics/{_CLINICS[target]}/profiles/iv-ketamine",
        json={
            "settings": {"monitoring_max_gap_minutes": 10},
            "author": "dr-ng",
            "reason": "Medical director: vitals every 10 min.",
        },
    )


_READERS: Final = frozenset({"officer", "admin"})
_PROOF_READERS: Final = frozenset({"officer", "regulator", "admin"})
_EXPORTERS: Final = frozenset({"regulator", "admin"})
_ANYONE_SIGNED_IN: Final = frozenset(ROLES)

RULES: Final[dict[tuple[str, str], Rule]] = {
    # Open to all: liveness, the API's description, signing in.
    ("GET", "/healthz"): Rule(roles=frozenset(), public=True, call=_fixed("GET", "/healthz")),
    ("GET", "/readyz"): Rule(roles=frozenset(), public=True, call=_fixed("GET", "/readyz")),
    # Counts by reason, route template and partition; no id, nothing from an event.
    ("GET", "/metrics"): Rule(roles=frozenset(), public=True, call=_fixed("GET", "/metrics")),
    ("GET", "/openapi.json"): Rule(
        roles=frozenset(), public=True, call=_fixed("GET", "/openapi.json")
    ),
    ("GET", "/docs"): Rule(roles=frozenset(), public=True, call=_fixed("GET", "/docs")),
    ("GET", "/docs/oauth2-redirect"): Rule(
        roles=frozenset(), public=True, call=_fixed("GET", "/docs/oauth2-redirect")
    ),
    ("GET", "/redoc"): Rule(roles=frozenset(), public=True, call=_fixed("GET", "/redoc")),
    ("GET", "/static"): Rule(
        roles=frozenset(), public=True, call=_fixed("GET", "/static/dashboard.css")
    ),
    ("GET", "/sign-in"): Rule(roles=frozenset(), public=True, call=_fixed("GET", "/sign-in")),
    ("POST", "/sign-in"): Rule(
        roles=frozenset(), public=True, call=_fixed("POST", "/sign-in", form={"token": "x"})
    ),
    ("POST", "/sign-out"): Rule(
        roles=frozenset(), public=True, call=_fixed("POST", "/sign-out", form={})
    ),
    ("GET", "/"): Rule(roles=frozenset(), public=True, call=_fixed("GET", "/")),
    # The API.
    ("POST", "/v1/events"): Rule(roles=frozenset({"publisher", "admin"}), call=_publish),
    ("GET", "/v1/sessions"): Rule(
        roles=_READERS,
        call=lambda t, _: Call(
            method="GET", path="/v1/sessions", params={"clinic_id": _CLINICS[t]}
        ),
    ),
    ("GET", "/v1/sessions/{session_id}/timeline"): Rule(
        roles=_READERS, call=_session("/v1/sessions/{session}/timeline")
    ),
    ("GET", "/v1/sessions/{session_id}/compliance"): Rule(
        roles=_READERS, call=_session("/v1/sessions/{session}/compliance")
    ),
    ("GET", "/v1/clinics/{clinic_id}/compliance-report"): Rule(
        roles=_READERS,
        call=_clinic("GET", "/v1/clinics/{clinic}/compliance-report", params=_PERIOD),
    ),
    ("GET", "/v1/clinics/{clinic_id}/controlled-substances"): Rule(
        roles=_READERS,
        call=_clinic("GET", "/v1/clinics/{clinic}/controlled-substances", params=_PERIOD),
    ),
    ("GET", "/v1/clinics/{clinic_id}/access-report"): Rule(
        roles=_READERS, call=_clinic("GET", "/v1/clinics/{clinic}/access-report", params=_PERIOD)
    ),
    ("POST", "/v1/exports"): Rule(roles=_EXPORTERS, call=_export),
    ("GET", "/v1/exports"): Rule(roles=_EXPORTERS, call=_fixed("GET", "/v1/exports")),
    ("GET", "/v1/exports/{export_id}"): Rule(
        roles=_EXPORTERS, call=_export_id("/v1/exports/{export}")
    ),
    ("GET", "/v1/exports/{export_id}/bundle"): Rule(
        roles=_EXPORTERS, call=_export_id("/v1/exports/{export}/bundle")
    ),
    ("GET", "/v1/log/verify"): Rule(
        roles=frozenset({"admin"}), call=_fixed("GET", "/v1/log/verify")
    ),
    ("GET", "/v1/log/checkpoints/latest"): Rule(
        roles=_PROOF_READERS, call=_fixed("GET", "/v1/log/checkpoints/latest")
    ),
    ("GET", "/v1/log/proofs/inclusion"): Rule(roles=_PROOF_READERS, call=_inclusion),
    ("GET", "/v1/log/proofs/consistency"): Rule(
        roles=_PROOF_READERS,
        call=_fixed("GET", "/v1/log/proofs/consistency", params={"from": "1", "to": "2"}),
    ),
    ("POST", "/v1/clinics/{clinic_id}/profiles/{protocol}"): Rule(
        roles=frozenset({"admin"}), call=_profile
    ),
    # The dashboard.
    ("GET", "/overview"): Rule(roles=_READERS, dashboard=True, call=_fixed("GET", "/overview")),
    ("GET", "/sessions/{session_id}"): Rule(
        roles=_READERS, dashboard=True, call=_session("/sessions/{session}")
    ),
    ("GET", "/clinics/{clinic_id}/ledger"): Rule(
        roles=_READERS, dashboard=True, call=_clinic("GET", "/clinics/{clinic}/ledger")
    ),
    ("GET", "/clinics/{clinic_id}/access"): Rule(
        roles=_READERS, dashboard=True, call=_clinic("GET", "/clinics/{clinic}/access")
    ),
    ("GET", "/clinics/{clinic_id}/thresholds"): Rule(
        roles=_READERS, dashboard=True, call=_clinic("GET", "/clinics/{clinic}/thresholds")
    ),
    ("GET", "/clinics/{clinic_id}/report.{extension}"): Rule(
        roles=_READERS,
        dashboard=True,
        call=_clinic("GET", "/clinics/{clinic}/report.csv", params=_PERIOD),
    ),
    ("POST", "/clinics/{clinic_id}/thresholds"): Rule(
        roles=frozenset({"admin"}),
        dashboard=True,
        call=_clinic(
            "POST",
            "/clinics/{clinic}/thresholds",
            form={
                "protocol": "iv-ketamine",
                "setting": "monitoring_max_gap_minutes",
                "value": "10",
                "author": "dr-okafor",
                "reason": "Vitals every 10 minutes during infusions.",
            },
        ),
    ),
    ("GET", "/exports"): Rule(roles=_EXPORTERS, dashboard=True, call=_fixed("GET", "/exports")),
    ("POST", "/exports"): Rule(roles=_EXPORTERS, dashboard=True, call=_export_form),
}


def route_table(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path template) of every route the app serves, included routers and mounts
    flattened."""

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for route in routes:
            if isinstance(route, APIRoute | Route):
                for method in sorted(route.methods or ()):
                    if method != "HEAD":
                        yield method, prefix + route.path
            elif isinstance(route, Mount):
                yield "GET", prefix + route.path
            elif hasattr(route, "original_router"):
                # FastAPI keeps an included router as a wrapper of the original.
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            else:
                raise AssertionError(f"a route of an unknown kind: {route!r}")

    yield from walk(list(app.router.routes), "")


def test_every_route_the_app_serves_has_a_rule_in_the_matrix(dashboard: Dashboard) -> None:
    served = set(route_table(dashboard.app))
    assert served - RULES.keys() == set(), "routes without an authorization rule"
    assert RULES.keys() - served == set(), "rules for routes the app no longer serves"


async def _seeded_events(engine: AsyncEngine) -> dict[str, str]:
    # A signed checkpoint, so that the proof routes have something to prove against.
    await CheckpointWriter(
        ledger=SqlCheckpointStore(engine=engine),
        publisher=None,
        signer=Signer.parse(generate_key("kapaudit.local/log").signer),
        origin="kapaudit.local/log",
        clock=SystemClock(),
    ).write()
    async with engine.connect() as connection:
        rows = (await connection.execute(select(event_log.c.clinic_id, event_log.c.event_id))).all()
    return {
        "own": next(e for c, e in rows if c == CLINIC),
        "other": next(e for c, e in rows if c == OTHER_CLINIC),
        "missing": str(uuid.uuid4()),
    }


async def _ask(dashboard: Dashboard, call: Call, token: str | None, *, cookie: bool) -> int:
    headers = {"Origin": "http://dashboard.test"}
    if token is not None:
        secret = dashboard.tokens[token]
        if cookie:
            headers["Cookie"] = f"kapaudit_token={secret}"
        else:
            headers["Authorization"] = f"Bearer {secret}"
    response = await dashboard.client.request(
        call.method,
        call.path,
        params=call.params,
        json=call.json,
        data=call.form,
        headers=headers,
    )
    return response.status_code


def _verdict(rule: Rule, role: str | None, target: Target, status: int) -> str | None:
    """What is wrong with ``status``, or None."""
    if status >= 500 and status != 503:
        return f"server error {status}"
    if rule.public:
        return None
    if role is None:
        expected = {303} if rule.dashboard else {401}
        return None if status in expected else f"anonymous got {status}"
    if role not in rule.roles:
        return None if status == 403 else f"a role that may not got {status}"
    if target == "own":
        # 503: the broker the fixture points nowhere is needed (publishing, exports).
        return f"refused its own clinic: {status}" if status in (401, 403, 404) else None
    if role == "admin" and target == "missing" and status == 200:
        # Clinics are known by their events alone: to an admin, who acts for every
        # clinic, one with none is an empty answer, not a refusal.
        return None
    if 200 <= status < 400:
        return f"{target} clinic's data answered {status}"
    return None


async def test_every_role_on_every_route_gets_only_its_own_clinics(
    dashboard: Dashboard, engine: AsyncEngine
) -> None:
    events = await _seeded_events(engine)
    problems: list[str] = []
    asked = 0
    for (method, template), rule in sorted(RULES.items()):
        for target in TARGETS:
            call = rule.call(target, events)
            if call is None:
                continue
            for role in (None, *ROLES):
                if role == "admin" and target == "other":
                    continue  # an admin acts for every clinic: no clinic is another's
                status = await _ask(dashboard, call, role, cookie=rule.dashboard)
                asked += 1
                problem = _verdict(rule, role, target, status)
                if problem is not None:
                    problems.append(f"{method} {template} [{target}] as {role}: {problem}")
    assert problems == []
    assert asked > 200
