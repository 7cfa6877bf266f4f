"""Who sees which entry: not-open entries show name and provider only (A7.2); drafts and entries under review
only to their provider, its bureau and the operator; hidden answers like missing."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kaifang.catalog import entry_history, entry_reviews, get_entry, list_entries, review_queue
from kaifang.security import ANONYMOUS, SYSTEM, NotFound
from tests.catalog import factories as f
from tests.catalog.factories import Cast


def ids(page) -> set[int]:
    return {c.id for c in page.items}


def test_a7_2_not_open_entries_show_only_name_and_provider(session: Session, cast: Cast) -> None:
    entry = f.published(session, cast, name="苏州市出租车驾驶员信息", open_class="not_open",
                        summary="驾驶员姓名、证件号码和从业资格。", tags=["出租车"])
    for who in (ANONYMOUS, cast.citizen, cast.other_staff, cast.expert):
        view = get_entry(session, who, entry.slug)
        card = view.card
        assert card.restricted and (card.name, card.provider_name) == ("苏州市出租车驾驶员信息",
                                                                      "苏州市交通运输局(目录测试)")
        assert (card.summary, card.formats, card.tags, card.domain, card.update_frequency) == ("", (), (), None, None)
        assert view.schema.fields == () and view.citation == "" and view.contact_email == ""
    # The provider's own people and the bureau see everything.
    for who in (cast.staff, cast.city_bureau, SYSTEM):
        view = get_entry(session, who, entry.id)
        assert not view.card.restricted and view.card.summary.startswith("驾驶员") and len(view.schema.fields) == 4


def test_a15_1_unpublished_entries_are_hidden_like_missing_ones(session: Session, cast: Cast) -> None:
    draft = f.draft(session, cast.staff, cast.agency)
    review = f.under_review(session, cast, name="苏州市公交站点信息", open_class="conditional",
                            open_conditions="仅限科研")
    for who in (ANONYMOUS, cast.citizen, cast.other_staff, cast.other_cdo, cast.kunshan_bureau, cast.supervisor):
        for entry in (draft, review):
            with pytest.raises(NotFound):
                get_entry(session, who, entry.id)
            with pytest.raises(NotFound):
                get_entry(session, who, entry.slug)
    with pytest.raises(NotFound):
        get_entry(session, ANONYMOUS, "SZ-9999-0001")
    for who in (cast.staff, cast.cdo, cast.city_bureau):
        assert get_entry(session, who, draft.id).can_see_internals
    # Experts see the entries under review that need them (A32.1), not drafts.
    assert get_entry(session, cast.expert, review.id).card.name == "苏州市公交站点信息"
    with pytest.raises(NotFound):
        get_entry(session, cast.expert, draft.id)


def test_console_lists_are_filtered_in_sql(session: Session, cast: Cast) -> None:
    draft = f.draft(session, cast.staff, cast.agency)
    published = f.published(session, cast, name="苏州市公交站点信息")
    kunshan = f.draft(session, cast.other_staff, cast.other_agency, name="昆山市企业信用信息")
    assert ids(list_entries(session, cast.staff)) == {draft.id, published.id}
    assert ids(list_entries(session, cast.other_staff)) == {published.id, kunshan.id}
    assert ids(list_entries(session, cast.kunshan_bureau)) == {published.id, kunshan.id}
    assert ids(list_entries(session, cast.city_bureau)) == {draft.id, published.id, kunshan.id}
    assert ids(list_entries(session, cast.citizen)) == {published.id}
    assert ids(list_entries(session, cast.city_bureau, status="draft", org_id=cast.agency)) == {draft.id}
    assert ids(list_entries(session, cast.staff, q="站点")) == {published.id}
    assert list_entries(session, cast.staff).total == 2


def test_a15_1_review_queue_and_internals(session: Session, cast: Cast) -> None:
    waiting = f.submitted(session, cast)
    assert ids(review_queue(session, cast.cdo)) == {waiting.id}
    assert ids(review_queue(session, cast.city_bureau)) == {waiting.id}
    assert ids(review_queue(session, cast.staff)) == set()
    assert ids(review_queue(session, cast.other_cdo)) == set()
    assert ids(review_queue(session, cast.expert)) == set()
    risky = f.under_review(session, cast, name="苏州市公交刷卡明细", open_class="conditional",
                           open_conditions="仅限科研")
    assert ids(review_queue(session, cast.expert)) == {risky.id}
    assert ids(review_queue(session, cast.cdo)) == {waiting.id, risky.id}
    published = f.published(session, cast, name="苏州市公交站点信息")
    for who in (cast.citizen, cast.other_staff):
        with pytest.raises(NotFound):
            entry_reviews(session, who, published.id)
        with pytest.raises(NotFound):
            entry_history(session, who, published.id)
    assert len(entry_reviews(session, cast.staff, published.id)) == 2
