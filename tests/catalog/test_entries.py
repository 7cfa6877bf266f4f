"""Draft entries and their data items (A14.1, A14.2), stable codes (A17.2), citations (A24.1), the data items
as a TableSchema, and what the access decision needs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaifang.catalog import (
    DataItemInput,
    EntryDetailsInput,
    entry_access_info,
    entry_checklist,
    entry_schema,
    missing_fields,
    record_download,
    record_review,
    record_view,
    set_data_volume,
    submit_entry,
    update_entry,
    update_entry_details,
)
from kaifang.catalog.models import CatalogEntry, CatalogFormat, CatalogTag, DataItem
from kaifang.catalog.queries import spec_item
from kaifang.datastore.schema import FieldFormat, FieldSpec, FieldType, TableSchema
from kaifang.errors import ValidationErrors
from kaifang.security import SYSTEM, BusinessRuleError, NotFound, OrgRef, PermissionDenied
from tests.catalog import factories as f
from tests.catalog.factories import CITY, Cast, make_org
from tests.helpers import audit_events


def test_a14_1_create_a_draft_with_its_data_items(session: Session, cast: Cast) -> None:
    entry = f.draft(session, cast.staff, cast.agency, tags=["公交", " 出行 ", "公交"], formats=["CSV", "json"])
    assert (entry.status, entry.region_code, entry.provider_org_id) == ("draft", CITY, cast.agency)
    assert entry.slug == f"SZ-{cast.agency:04d}-0001" and entry.field_count == 4
    assert entry.created_by_user_id == 9001 and entry.created_at == entry.updated_at
    second = f.draft(session, cast.staff2, cast.agency, name="苏州市公交站点信息")
    assert second.slug == f"SZ-{cast.agency:04d}-0002"
    items = session.execute(select(DataItem).where(DataItem.entry_id == entry.id)
                            .order_by(DataItem.position)).scalars().all()
    assert [(i.position, i.name, i.title, i.type) for i in items][:2] == [(0, "line_no", "线路编号", "string"),
                                                                          (1, "line_name", "线路名称", "string")]
    assert items[3].unit == "元" and items[0].required
    tags = session.execute(select(CatalogTag.tag).where(CatalogTag.entry_id == entry.id)).scalars().all()
    assert sorted(tags) == ["公交", "出行"]
    fmts = session.execute(select(CatalogFormat.format).where(CatalogFormat.entry_id == entry.id)).scalars().all()
    assert sorted(fmts) == ["csv", "json"]
    (ev,) = audit_events(session, "catalog.entry_created", object_id=entry.id)
    assert ev.after["name"] == "苏州市公交线路信息" and ev.actor_id == 9001


def test_a14_2_every_value_is_validated_at_once(session: Session, cast: Cast) -> None:
    bad_items = [
        DataItemInput(name="Line No", title="线路编号", type="string"),
        DataItemInput(name="fare", title="票价", type="money"),
        DataItemInput(name="fare", title="票价", type="decimal", format="phone", sensitivity="secret"),
    ]
    with pytest.raises(ValidationErrors) as exc:
        f.draft(session, cast.staff, cast.agency, domain="sports", open_class="sometimes", data_type="pdf",
                update_frequency="hourly", formats=["csv", "docx"], contact_email="not an email", items=bad_items)
    assert set(exc.value.errors) == {
        "domain", "open_class", "data_type", "update_frequency", "formats", "contact_email", "items.0.name",
        "items.1.type", "items.2.name", "items.2.format", "items.2.sensitivity"}
    assert exc.value.errors["items.2.name"].msgid == "Two data items have the same name."
    assert session.execute(select(func.count()).select_from(CatalogEntry)).scalar_one() == 0


def test_a14_1_only_the_providers_own_people_register_its_entries(session: Session, cast: Cast) -> None:
    for who in (cast.other_staff, cast.city_bureau, cast.expert, cast.citizen):
        with pytest.raises(PermissionDenied):
            f.draft(session, who, cast.agency)
    with pytest.raises(NotFound):
        f.draft(session, cast.staff, 999999)
    bureau_org = make_org(session, "苏州市某局(非开放主体)", kind="bureau")
    with pytest.raises(BusinessRuleError, match="provider"):
        f.draft(session, SYSTEM, bureau_org)


def test_a14_2_only_drafts_change_in_full_but_details_change_any_time(session: Session, cast: Cast) -> None:
    entry = f.published(session, cast)
    with pytest.raises(BusinessRuleError, match="Only a draft"):
        update_entry(session, cast.staff, entry.id, f.entry_input(name="改名"))
    update_entry_details(session, cast.staff, entry.id, EntryDetailsInput(
        summary="新的说明", tags=["公交", "线路"], contact_name="新联系人", citation=""))
    assert entry.summary == "新的说明" and entry.contact_name == "新联系人" and entry.citation == ""
    tags = session.execute(select(CatalogTag.tag).where(CatalogTag.entry_id == entry.id)).scalars().all()
    assert sorted(tags) == ["公交", "线路"]
    assert entry.field_count == 4  # items untouched
    with pytest.raises(NotFound):
        update_entry_details(session, cast.other_staff, 999999, EntryDetailsInput())


def test_a14_2_update_replaces_the_items(session: Session, cast: Cast) -> None:
    entry = f.draft(session, cast.staff, cast.agency)
    update_entry(session, cast.staff, entry.id, f.entry_input(items=[
        DataItemInput(name="fare", title="票价", type="decimal", description="单程票价"),
        DataItemInput(name="line_no", title="线路编号", type="string", description="编号")]))
    assert entry_schema(session, entry.id).names() == ["fare", "line_no"] and entry.field_count == 2


def test_a14_2_missing_fields_is_a_pure_check() -> None:
    entry = CatalogEntry(name="苏州市公交线路信息", provider_org_id=1, open_class="conditional", open_conditions="",
                         data_type="api", update_frequency="daily")
    item = FieldSpec(name="a", title="甲", description="含义")
    assert missing_fields(entry, [item], ["json"]) == ["Open conditions"]
    entry.open_conditions = "仅限科研"
    assert missing_fields(entry, [item], ["json"]) == []
    assert missing_fields(entry, [FieldSpec(name="a", title="甲")], []) == ["Complete data items", "Data formats"]


def test_a14_2_checklist_for_the_console(session: Session, cast: Cast) -> None:
    entry = f.draft(session, cast.staff, cast.agency, formats=[], update_frequency=None)
    assert entry_checklist(session, cast.staff, entry.id) == ["Data formats", "Update frequency"]


def test_datastore_schema_round_trip(session: Session, cast: Cast) -> None:
    schema = TableSchema((
        FieldSpec("uscc", "统一社会信用代码", FieldType.STRING, FieldFormat.USCC, True, "企业的统一社会信用代码"),
        FieldSpec("capital", "注册资本", FieldType.DECIMAL, None, False, "注册资本", "万元", "internal"),
        FieldSpec("founded", "成立日期", FieldType.DATE, description="成立日期"),
    ))
    items = [DataItemInput(**{k: v for k, v in spec_item(s, i).items() if k != "position"})
             for i, s in enumerate(schema.fields)]
    entry = f.draft(session, cast.staff, cast.agency, items=items)
    assert entry_schema(session, entry.id) == schema
    info = entry_access_info(session, entry.id)
    assert (info.entry_id, info.open_class, info.status) == (entry.id, "unconditional", "draft")
    assert info.org == OrgRef(cast.agency, CITY) and info.schema == schema
    with pytest.raises(NotFound):
        entry_access_info(session, 999999)


def test_a24_1_a_default_citation_is_generated_on_publication(session: Session, cast: Cast) -> None:
    entry = f.published(session, cast)
    year = entry.first_published_at.year
    assert entry.citation == (f"苏州市交通运输局(目录测试). 苏州市公交线路信息[DS]. 苏州市公共数据开放平台, {year}. "
                              f"http://testserver/datasets/{entry.slug}")
    own = f.published(session, cast, name="苏州市公交站点信息", citation="交通局. 公交站点[DS]. 2026.")
    assert own.citation == "交通局. 公交站点[DS]. 2026."


def test_popularity_counters_count_published_entries_only(session: Session, cast: Cast) -> None:
    entry = f.published(session, cast)
    hidden = f.draft(session, cast.staff, cast.agency)
    for _ in range(3):
        record_view(session, cast.citizen, entry.id)
    record_download(session, cast.citizen, entry.id)
    record_view(session, cast.citizen, hidden.id)
    session.refresh(entry)
    session.refresh(hidden)
    assert (entry.views, entry.downloads, hidden.views) == (3, 1, 0)


def test_a32_1_expert_review_of_an_entry_that_needs_none_is_refused(session: Session, cast: Cast) -> None:
    entry = f.under_review(session, cast)
    with pytest.raises(BusinessRuleError, match="does not need"):
        record_review(session, SYSTEM, entry.id, "expert", "approve", "")


def test_a14_2_submission_of_another_state_is_illegal(session: Session, cast: Cast) -> None:
    entry = f.submitted(session, cast)
    with pytest.raises(BusinessRuleError):
        submit_entry(session, cast.staff, entry.id)


def test_a14_2_data_volume_from_the_data_engine(session: Session, cast: Cast) -> None:
    entry = f.draft(session, cast.staff, cast.agency)
    set_data_volume(session, cast.staff, entry.id, rows=12840, fields=4)
    assert (entry.row_count, entry.field_count) == (12840, 4)
    (ev,) = audit_events(session, "catalog.data_volume_set")
    assert ev.after == {"row_count": 12840, "field_count": 4}
    with pytest.raises(NotFound):
        set_data_volume(session, cast.other_staff, entry.id, rows=1, fields=1)
