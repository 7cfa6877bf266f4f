"""Operator and bureau console: organisations, their staff (A35.1) and memberships."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kaifang.accounts import organisations, queries
from kaifang.accounts.organisations import ROLE_ORG_KIND
from kaifang.accounts.schemas import OrganisationInput
from kaifang.errors import ValidationErrors
from kaifang.i18n import gettext_
from kaifang.security import BusinessRuleError, Permission, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, require
from kaifang.web.forms import translate_errors
from kaifang.web.templating import flash, render

router = APIRouter(prefix="/console/organisations", dependencies=[Depends(csrf_protect)],
                   include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Reader = Annotated[Principal, Depends(require(Permission.STAFF_READ))]
Manager = Annotated[Principal, Depends(require(Permission.ORGS_MANAGE))]
StaffManager = Annotated[Principal, Depends(require(Permission.STAFF_MANAGE))]

ORG_KINDS = {
    "bureau": "Big data bureau",
    "provider": "Data provider (public agency)",
    "operator": "Platform operator",
    "expert_committee": "Expert committee",
    "supervisor": "Security supervisor",
}


@router.get("")
def organisation_list(request: Request, db: DB, principal: Reader, kind: str = "", region: str = "",
                      q: str = "", page: int = 1) -> Response:
    result = queries.list_organisations(db, principal, kind=kind or None, region=region or None, q=q or None,
                                        page=page)
    return render(request, "accounts/console_orgs.html", {
        "page": result, "regions": queries.list_regions(db, principal), "kinds": ORG_KINDS,
        "filters": {"kind": kind, "region": region, "q": q},
        "can_manage": principal.can(Permission.ORGS_MANAGE),
    })


def _new_form(request: Request, db: Session, principal: Principal, form: dict, errors: dict,
              status: int = 200) -> Response:
    return render(request, "accounts/console_org_new.html", {
        "form": form, "errors": errors, "regions": queries.list_regions(db, principal), "kinds": ORG_KINDS,
    }, status_code=status)


@router.get("/new")
def organisation_new(request: Request, db: DB, principal: Manager) -> Response:
    return _new_form(request, db, principal, {"kind": "provider", "region_code": "320500"}, {})


@router.post("/new")
def organisation_create(
    request: Request, db: DB, principal: Manager, name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "provider", region_code: Annotated[str, Form()] = "",
    uscc: Annotated[str, Form()] = "",
) -> Response:
    form = {"name": name, "kind": kind, "region_code": region_code, "uscc": uscc}
    if kind not in ORG_KINDS:
        return _new_form(request, db, principal, form, {"kind": gettext_("Unknown organisation type.")}, 400)
    try:
        org = organisations.create_organisation(db, principal, OrganisationInput(
            name=name, kind=kind, region_code=region_code, uscc=uscc or None))  # type: ignore[arg-type]
    except ValidationErrors as exc:
        return _new_form(request, db, principal, form, translate_errors(exc.errors), 400)
    flash(request, gettext_("The organisation has been created."))
    return RedirectResponse(f"/console/organisations/{org.id}", status_code=303)


def _detail(request: Request, db: Session, principal: Principal, org_id: int, errors: dict | None = None,
            form: dict | None = None, status: int = 200) -> Response:
    roster = queries.organisation_roster(db, principal, org_id)
    ref = queries.org_ref(roster.org)
    assignable = [r.value for r, k in ROLE_ORG_KIND.items() if k == roster.org.kind]
    if not principal.can(Permission.ORGS_MANAGE):
        assignable = [r for r in assignable if r == "provider_staff"] if principal.can(
            Permission.STAFF_MANAGE, ref) else []
    return render(request, "accounts/console_org.html", {
        "roster": roster, "assignable": assignable, "errors": errors or {}, "form": form or {},
        "can_manage_org": principal.can(Permission.ORGS_MANAGE), "kinds": ORG_KINDS,
    }, status_code=status)


@router.get("/{org_id}")
def organisation_detail(request: Request, db: DB, principal: Reader, org_id: int) -> Response:
    return _detail(request, db, principal, org_id)


@router.post("/{org_id}/members")
def member_add(
    request: Request, db: DB, principal: StaffManager, org_id: int, email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        organisations.add_member(db, principal, org_id, email, role, reason)
    except ValidationErrors as exc:
        return _detail(request, db, principal, org_id, translate_errors(exc.errors),
                       {"email": email, "role": role, "reason": reason}, 400)
    except BusinessRuleError as exc:
        return _detail(request, db, principal, org_id, {exc.field or "email": gettext_(exc.message)},
                       {"email": email, "role": role, "reason": reason}, 400)
    flash(request, gettext_("The person has been registered in this role."))
    return RedirectResponse(f"/console/organisations/{org_id}", status_code=303)


@router.post("/{org_id}/members/{membership_id}/remove")
def member_remove(request: Request, db: DB, principal: StaffManager, org_id: int, membership_id: int,
                  reason: Annotated[str, Form()] = "") -> Response:
    organisations.remove_member(db, principal, membership_id, reason)
    flash(request, gettext_("The role has been removed."))
    return RedirectResponse(f"/console/organisations/{org_id}", status_code=303)


@router.post("/{org_id}/active")
def organisation_active(request: Request, db: DB, principal: Manager, org_id: int,
                        active: Annotated[str, Form()] = "") -> Response:
    organisations.set_organisation_active(db, principal, org_id, active == "yes")
    flash(request, gettext_("The organisation has been updated."))
    return RedirectResponse(f"/console/organisations/{org_id}", status_code=303)
