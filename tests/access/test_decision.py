"""A7, A19.1, A20.4, A22.1: the one access decision, over every open class x grant state x delivery x persona.

No combination may serve data it should not: not-open never, conditional only to the grantee within the
period by a granted delivery, and then only the granted columns and rows."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from kaifang.access import DatasetRef, Delivery, GrantScope, OpenClass, decide, offer
from kaifang.datastore.engine.filters import Filter
from kaifang.security import ANONYMOUS, Principal, Role, RoleGrant

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
GRANTEE = Principal(user_id=7, label="grantee")
OTHER_USER = Principal(user_id=8, label="other")
OTHER_AGENCY_STAFF = Principal(
    user_id=9, label="staff", grants=frozenset({RoleGrant(Role.PROVIDER_STAFF, 99, "320583")}))
PERSONAS = {"anonymous": ANONYMOUS, "applicant": GRANTEE, "other_user": OTHER_USER,
            "other_agency_staff": OTHER_AGENCY_STAFF}
ROW_FILTER = (Filter("district", "exact", "姑苏区"),)


def grant(state: str, deliveries=frozenset({Delivery.DOWNLOAD, Delivery.API})) -> list[GrantScope]:
    period = {
        "active": (NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=30)),
        "expired": (NOW - dt.timedelta(days=30), NOW - dt.timedelta(seconds=1)),
        "not_started": (NOW + dt.timedelta(seconds=1), NOW + dt.timedelta(days=30)),
        "suspended": (NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=30)),
    }
    if state == "none":
        return []
    start, end = period[state]
    return [GrantScope(1, GRANTEE.user_id, 42, ("name", "district", "capital"), ROW_FILTER, deliveries, start, end,
                       active=state != "suspended")]


GRANT_STATES = ["none", "active", "expired", "not_started", "suspended"]


@pytest.mark.parametrize(("open_class", "state", "delivery", "persona"), list(itertools.product(
    OpenClass, GRANT_STATES, Delivery, PERSONAS)))
def test_access_matrix_A7_A20_4(open_class, state, delivery, persona):
    principal = PERSONAS[persona]
    decision = decide(principal, DatasetRef(42, open_class, published=True), delivery, grant(state), NOW)
    if open_class == OpenClass.NOT_OPEN:
        assert not decision.allowed and decision.projection is None
    elif open_class == OpenClass.UNCONDITIONAL:
        assert decision.allowed and decision.projection.columns is None and decision.projection.row_filters == ()
    elif persona == "applicant" and state == "active" and delivery in (Delivery.DOWNLOAD, Delivery.API):
        assert decision.allowed and decision.grant_id == 1
        assert decision.projection.columns == ("name", "district", "capital")
        assert decision.projection.row_filters == ROW_FILTER
    else:
        assert not decision.allowed and decision.projection is None


def test_a_grant_for_another_dataset_opens_nothing():
    g = grant("active")[0]
    other = GrantScope(g.grant_id, g.grantee_user_id, 43, g.columns, g.row_filters, g.deliveries, g.starts_at,
                       g.ends_at)
    assert not decide(GRANTEE, DatasetRef(42, OpenClass.CONDITIONAL, True), Delivery.API, [other], NOW).allowed


def test_unpublished_data_is_previewed_only_by_its_provider():
    ref = DatasetRef(42, OpenClass.UNCONDITIONAL, published=False, managed_by_principal=True)
    assert decide(OTHER_AGENCY_STAFF, ref, Delivery.PREVIEW, [], NOW).allowed
    assert not decide(OTHER_AGENCY_STAFF, ref, Delivery.DOWNLOAD, [], NOW).allowed
    outsider = DatasetRef(42, OpenClass.UNCONDITIONAL, published=False)
    for delivery in Delivery:
        assert not decide(GRANTEE, outsider, delivery, [], NOW).allowed


def test_refusals_say_why():
    ref = DatasetRef(42, OpenClass.CONDITIONAL, True)
    assert "approved application" in decide(ANONYMOUS, ref, Delivery.API, [], NOW).reason
    assert "not cover" in decide(GRANTEE, ref, Delivery.PREVIEW, grant("active"), NOW).reason


@pytest.mark.parametrize(("open_class", "state", "persona"), list(itertools.product(
    OpenClass, GRANT_STATES, PERSONAS)))
def test_the_offer_is_the_decision_for_every_delivery_A22_1(open_class, state, persona):
    """What a page offers is what each read would decide: the same decision, delivery by delivery."""
    principal, ref = PERSONAS[persona], DatasetRef(42, open_class, published=True)
    offered = offer(principal, ref, grant(state), NOW)
    for delivery in Delivery:
        assert offered.decision(delivery) == decide(principal, ref, delivery, grant(state), NOW)
    assert offered.deliveries == {d for d in Delivery if decide(principal, ref, d, grant(state), NOW).allowed}


def test_a_grantee_is_offered_exactly_the_granted_deliveries_A20_4():
    ref = DatasetRef(42, OpenClass.CONDITIONAL, True)
    api_only = grant("active", deliveries=frozenset({Delivery.API}))
    assert offer(GRANTEE, ref, api_only, NOW).deliveries == {Delivery.API}
    assert offer(GRANTEE, ref, grant("active"), NOW).deliveries == {Delivery.API, Delivery.DOWNLOAD}
    assert offer(ANONYMOUS, ref, grant("active"), NOW).deliveries == frozenset()


def test_a_refusal_before_the_decision_closes_every_delivery_A34_1():
    ref = DatasetRef(42, OpenClass.UNCONDITIONAL, True)
    closed = offer(GRANTEE, ref, [], NOW, refusal="Your access to data has been closed.")
    assert closed.deliveries == frozenset()
    assert {closed.decision(d).reason for d in Delivery} == {"Your access to data has been closed."}
