"""The console overview: what each role can do, with its own entry points."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kaifang.accounts import my_organisations
from kaifang.security import Permission, Principal
from kaifang.web.console import console_menu
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, require
from kaifang.web.templating import render

router = APIRouter(prefix="/console", dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("")
def overview(request: Request, db: Annotated[Session, Depends(get_db)],
             principal: Annotated[Principal, Depends(require(Permission.CONSOLE_ENTER))]) -> Response:
    return render(request, "console/overview.html", {
        "orgs": my_organisations(db, principal),
        "roles": sorted(r.value for r in principal.roles if r.value != "user"),
        "entries": [m for m in console_menu(principal) if m.href != "/console"],
    })
