"""The public list of named lookup services (A19.1, A22.1): each with its request and response.

Served under the web shell's navigation (``/services``, template ``web/services.html``); it lives here because
its content is the datastore's, which other packages reach only through its routes (decision 0010).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kaifang.datastore.lookups import lookup_services
from kaifang.security import Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, get_principal
from kaifang.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/services")
def services(request: Request, db: Annotated[Session, Depends(get_db)],
             principal: Annotated[Principal, Depends(get_principal)]) -> Response:
    """Named lookup services (A19.1, A22.1) with their request and response."""
    return render(request, "web/services.html", {"services": lookup_services(db, principal)})
