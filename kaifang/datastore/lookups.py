"""Named lookup services over a dataset (A19.1, A22.1): an agency publishes e.g. "query an enterprise by its credit
code"; callers give the key fields and get the matching rows' chosen fields, through the one access decision."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.audit import record
from kaifang.catalog import EntryState, entry_access_info, get_entry
from kaifang.datastore.models import LookupService
from kaifang.db import utcnow
from kaifang.errors import ValidationErrors
from kaifang.security import PUBLIC, BusinessRuleError, NotFound, Permission, Principal, authorize, query, service

NAME = re.compile(r"^[a-z][a-z0-9_]{2,62}$")
MAX_KEYS = 3


@dataclass(frozen=True)
class LookupView:
    name: str
    title: str
    description: str
    entry_id: int
    entry_name: str
    key_fields: list[str]
    return_fields: list[str]


def _view(svc: LookupService, entry_name: str) -> LookupView:
    return LookupView(svc.name, svc.title, svc.description, svc.entry_id, entry_name, json.loads(svc.key_fields),
                      json.loads(svc.return_fields))


def _fields(text: str) -> list[str]:
    return [f.strip() for f in re.split(r"[,，\s]+", text) if f.strip()]


@service(Permission.CATALOG_MANAGE)
def create_lookup_service(session: Session, principal: Principal, entry_id: int, name: str, title: str,
                          description: str, key_fields: str, return_fields: str) -> LookupService:
    access = entry_access_info(session, entry_id)
    authorize(principal, Permission.CATALOG_READ, access.org, hide=True)
    authorize(principal, Permission.CATALOG_MANAGE, access.org)
    errors: dict[str, str] = {}
    name = name.strip()
    if not NAME.match(name):
        errors["name"] = "The service name uses a-z, 0-9 and _ and starts with a letter (3 to 63 characters)."
    elif session.execute(select(LookupService.id).where(LookupService.name == name)).first():
        errors["name"] = "A lookup service with this name already exists."
    if not title.strip():
        errors["title"] = "Please give the service a title."
    known = set(access.schema.names())
    keys, returns = _fields(key_fields), _fields(return_fields) or access.schema.names()
    if not keys or len(keys) > MAX_KEYS:
        errors["key_fields"] = "Give one to three key fields."
    if any(f not in known for f in keys):
        errors.setdefault("key_fields", "Use the machine names of the entry's data items.")
    if any(f not in known for f in returns):
        errors["return_fields"] = "Use the machine names of the entry's data items."
    if errors:
        raise ValidationErrors(errors)
    svc = LookupService(entry_id=entry_id, name=name, title=title.strip()[:200], description=description.strip(),
                        key_fields=json.dumps(keys), return_fields=json.dumps(list(dict.fromkeys(returns))),
                        created_by_user_id=principal.user_id, created_at=utcnow())
    session.add(svc)
    session.flush()
    record(session, principal, "datastore.lookup_created", "catalog_entry", entry_id,
           after={"name": name, "keys": keys, "returns": json.loads(svc.return_fields)})
    return svc


@query(PUBLIC)
def lookup_services(session: Session, principal: Principal, entry_id: int | None = None) -> list[LookupView]:
    """The lookup services of published entries (or of one entry the principal may see)."""
    stmt = select(LookupService).order_by(LookupService.name)
    if entry_id is not None:
        stmt = stmt.where(LookupService.entry_id == entry_id)
    views = []
    for svc in session.execute(stmt).scalars():
        try:
            entry = get_entry(session, principal, svc.entry_id)
        except NotFound:
            continue
        if entry.card.status == EntryState.PUBLISHED or entry_id is not None:
            views.append(_view(svc, entry.card.name))
    return views


@query(PUBLIC)
def lookup_service(session: Session, principal: Principal, name: str) -> LookupView:
    svc = session.execute(select(LookupService).where(LookupService.name == name)).scalar_one_or_none()
    if svc is None:
        raise NotFound()
    entry = get_entry(session, principal, svc.entry_id)
    return _view(svc, entry.card.name)


def missing_keys(view: LookupView, given: Mapping[str, str]) -> list[str]:
    return [k for k in view.key_fields if not given.get(k, "").strip()]


class LookupKeysMissing(BusinessRuleError):
    """A call of a lookup service without every key field (400, naming the first one missing)."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__("Give every key of this service: %(keys)s", field=keys[0], keys=", ".join(keys))
