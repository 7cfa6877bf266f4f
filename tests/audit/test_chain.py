"""A9.4: the audit trail is hash-chained; altering, deleting or reordering an event is detected."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import delete, select, update

from kaifang.accounts import organisations
from kaifang.accounts.schemas import OrganisationInput
from kaifang.audit import record, verify_chain
from kaifang.audit.chain import GENESIS, event_hash
from kaifang.audit.models import AuditEvent, AuditHead
from kaifang.security import SYSTEM


@pytest.fixture
def events(session):
    for i in range(5):
        organisations.create_organisation(session, SYSTEM, OrganisationInput(
            name=f"审计测试机构{i}", kind="provider", region_code="320500"))
    return session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()


def test_each_service_write_appends_a_chained_event_A9_4(events):
    assert [e.seq for e in events] == list(range(1, 6))
    assert events[0].prev_hash == GENESIS
    for prev, ev in itertools.pairwise(events):
        assert ev.prev_hash == prev.hash
        assert ev.hash == event_hash(ev)
    assert json.loads(events[0].changes)["after"]["name"] == "审计测试机构0"
    assert events[0].actor_label == "system"


def test_verify_passes_on_an_untouched_chain_A9_4(session, events):
    result = verify_chain(session)
    assert result.ok and result.checked == 5


def _raw_update(session, seq, **values):
    session.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(**values)
                    .execution_options(synchronize_session=False))
    session.expire_all()


def test_verify_names_an_altered_event_A9_4(session, events):
    _raw_update(session, 3, changes='{"after":{"name":"改过的"},"before":null}')
    result = verify_chain(session)
    assert not result.ok and result.bad_seq == 3 and "altered" in result.problem


def test_verify_names_a_deleted_event_A9_4(session, events):
    session.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    session.expire_all()
    result = verify_chain(session)
    assert not result.ok and result.bad_seq == 2 and "missing" in result.problem


def test_verify_notices_a_deleted_tail_A9_4(session, events):
    session.execute(delete(AuditEvent).where(AuditEvent.seq == 5))
    session.expire_all()
    result = verify_chain(session)
    assert not result.ok and result.bad_seq == 5 and "deleted" in result.problem


def test_verify_notices_reordered_events_A9_4(session, events):
    a, b = events[1], events[2]
    fields = ("action", "object_id", "changes", "occurred_at", "prev_hash", "hash")
    va, vb = ({f: getattr(e, f) for f in fields} for e in (a, b))
    _raw_update(session, 2, **vb)
    _raw_update(session, 3, **va)
    result = verify_chain(session)
    assert not result.ok and result.bad_seq == 2


def test_recomputed_hashes_cannot_hide_an_edit_A9_4(session, events):
    """Rewriting an event and its own hash still breaks the link to the next event."""
    ev = session.execute(select(AuditEvent).where(AuditEvent.seq == 2)).scalar_one()
    ev.changes = '{"after":{"name":"伪造"},"before":null}'
    ev.hash = event_hash(ev)
    session.flush()
    result = verify_chain(session)
    assert not result.ok and result.bad_seq == 3


def test_secrets_are_never_written_to_the_trail(session):
    ev = record(session, SYSTEM, "test.secret", "thing", 1, after={"password": "hunter2", "nested": {"token": "t"}})
    assert "hunter2" not in ev.changes and '"t"' not in ev.changes


def test_head_tracks_the_last_event(session, events):
    head = session.get(AuditHead, 1)
    assert (head.seq, head.hash) == (5, events[-1].hash)


def test_events_from_http_carry_request_id_and_ip_A9_4(client, session):
    from tests.personas import post_form

    r = post_form(client, "/register", {"kind": "natural", "email": "ip@example.cn", "display_name": "某人",
                                        "password": "Audit-trail-2026", "password_confirm": "Audit-trail-2026",
                                        "accept_rules": "yes"})
    assert r.status_code == 303
    ev = session.execute(select(AuditEvent).where(AuditEvent.action == "accounts.register")).scalar_one()
    assert ev.request_id == r.headers["x-request-id"]
    assert ev.ip == "testclient"
    assert ev.actor_label == "ip@example.cn"


def test_nightly_verification_job_fails_loudly_on_a_broken_chain_A9_4(sessions, settings, session, events):
    from kaifang.audit.tasks import AuditChainBroken, verify_chain_nightly
    from kaifang.tasks import JobContext

    ctx = JobContext(sessions, settings)
    assert verify_chain_nightly(ctx) == 5
    _raw_update(session, 4, actor_label="intruder")
    session.commit()
    with pytest.raises(AuditChainBroken, match="event 4"):
        verify_chain_nightly(ctx)
