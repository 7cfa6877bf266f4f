"""Operator and bureau console: organisations, their staff (A35.1) and memberships."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kaifang.accounts import organisations, queries
from kaifang.accounts.organisations import ROLE_ORG_KIND
from kaifang.accounts.schemas import ActiveInput, MemberInput, OrganisationInput, ReasonInput
from kaifang.security import Permission, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import PageNumber, get_db, require
from kaifang.web.forms import Problem, Submitted, act, form_of
from kaifang.web.templating import render

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
def organisation_list(request: Request, db: DB, principal: Reader, page: PageNumber, kind: str = "",
                      region: str = "", q: str = "") -> Response:
    result = queries.list_organisations(db, principal, kind=kind or None, region=region or None, q=q or None,
                                        page=page)
    return render(request, "accounts/console_orgs.html", {
        "page": result, "regions": queries.list_regions(db, principal), "kinds": ORG_KINDS,
        "filters": {"kind": kind, "region": region, "q": q},
        "can_manage": principal.can(Permission.ORGS_MANAGE),
    })


def _new_form(request: Request, db: Session, principal: Principal, values: dict, problem: Problem | None = None,
              status: int = 200) -> Response:
    return render(request, "accounts/console_org_new.html", {
        "form": values, "errors": problem.errors if problem else {}, "problem": problem,
        "regions": queries.list_regions(db, principal), "kinds": ORG_KINDS,
    }, status_code=status)


@router.get("/new")
def organisation_new(request: Request, db: DB, principal: Manager) -> Response:
    return _new_form(request, db, principal, {"kind": "provider", "region_code": "320500"})


@router.post("/new")
def organisation_create(request: Request, db: DB, principal: Manager,
                        form: Annotated[Submitted[OrganisationInput], Depends(form_of(OrganisationInput))]) -> Response:
    return act(request, form, lambda data: organisations.create_organisation(db, principal, data),
               done="The organisation has been created.", then=lambda org: f"/console/organisations/{org.id}",
               rerender=lambda problem: _new_form(request, db, principal, form.values, problem, 400),
               name="organisation", placed=("name", "kind", "region_code", "uscc"))


def _detail(request: Request, db: Session, principal: Principal, org_id: int, problem: Problem | None = None,
            status: int = 200) -> Response:
    roster = queries.organisation_roster(db, principal, org_id)
    ref = queries.org_ref(roster.org)
    assignable = [r.value for r, k in ROLE_ORG_KIND.items() if k == roster.org.kind]
    if not principal.can(Permission.ORGS_MANAGE):
        assignable = [r for r in assignable if r == "provider_staff"] if principal.can(
            Permission.STAFF_MANAGE, ref) else []
    return render(request, "accounts/console_org.html", {
        "roster": roster, "assignable": assignable, "problem": problem,
        "errors": problem.errors if problem and problem.form == "member" else {},
        "form": problem.values if problem and problem.form == "member" else {},
        "can_manage_org": principal.can(Permission.ORGS_MANAGE), "kinds": ORG_KINDS,
    }, status_code=status)


@router.get("/{org_id}")
def organisation_detail(request: Request, db: DB, principal: Reader, org_id: int) -> Response:
    return _detail(request, db, principal, org_id)


def _on_org(request: Request, db: Session, principal: Principal, org_id: int, form: Submitted, call, done: str,
            name: str = "member") -> Response:
    """One form of the organisation's page: run its service, or show the page again with its problems."""
    return act(request, form, call, done=done, then=f"/console/organisations/{org_id}", name=name,
               placed=("email", "role", "reason"),
               rerender=lambda problem: _detail(request, db, principal, org_id, problem, 400))


@router.post("/{org_id}/members")
def member_add(request: Request, db: DB, principal: StaffManager, org_id: int,
               form: Annotated[Submitted[MemberInput], Depends(form_of(MemberInput))]) -> Response:
    return _on_org(request, db, principal, org_id, form,
                   lambda d: organisations.add_member(db, principal, org_id, d.email, d.role, d.reason),
                   "The person has been registered in this role.")


@router.post("/{org_id}/members/{membership_id}/remove")
def member_remove(request: Request, db: DB, principal: StaffManager, org_id: int, membership_id: int,
                  form: Annotated[Submitted[ReasonInput], Depends(form_of(ReasonInput))]) -> Response:
    return _on_org(request, db, principal, org_id, form,
                   lambda d: organisations.remove_member(db, principal, membership_id, d.reason),
                   "The role has been removed.", name="remove")


@router.post("/{org_id}/active")
def organisation_active(request: Request, db: DB, principal: Manager, org_id: int,
                        form: Annotated[Submitted[ActiveInput], Depends(form_of(ActiveInput))]) -> Response:
    return _on_org(request, db, principal, org_id, form,
                   lambda d: organisations.set_organisation_active(db, principal, org_id, d.active == "yes"),
                   "The organisation has been updated.", name="active")
