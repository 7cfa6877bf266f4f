"""The operator's page of the use agreement template (A21.1): the current version and a form for the next."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kaifang.access import agreement, services
from kaifang.access.routes.common import DB, VOCABULARIES, TemplateKeeper
from kaifang.access.schemas import TemplateInput
from kaifang.web.csrf import csrf_protect
from kaifang.web.forms import Problem, Submitted, act, form_of
from kaifang.web.templating import render

router = APIRouter(prefix="/console/access", dependencies=[Depends(csrf_protect)], include_in_schema=False)
TemplateForm = Annotated[Submitted[TemplateInput], Depends(form_of(TemplateInput))]


def _page(request: Request, db: Session, title: str, clauses: dict[str, str], problem: Problem | None = None,
          status: int = 200) -> Response:
    return render(request, "access/console_template.html", {
        **VOCABULARIES, "version": services.current_template(db)[0], "title": title, "texts": clauses,
        "problem": problem,
    }, status_code=status)


@router.get("/template")
def template_edit(request: Request, db: DB, principal: TemplateKeeper) -> Response:
    _, title, clauses = services.current_template(db)
    return _page(request, db, title, clauses)


@router.post("/template")
def template_save(request: Request, db: DB, principal: TemplateKeeper, form: TemplateForm) -> Response:
    sent = {key: str(form.values.get(f"clause_{key}") or "") for key in agreement.CLAUSES}
    return act(request, form, lambda data: services.save_template(db, principal, data.title, data.clauses()),
               done="A new version of the template has been saved: agreements made from now on use it.",
               then="/console/access/template", name="template", placed=("title", *agreement.CLAUSES),
               rerender=lambda problem: _page(request, db, str(form.values.get("title") or ""), sent, problem, 400))
