"""Console page: background jobs with their state, attempts and last error."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kaifang.security import Permission, Principal
from kaifang.tasks import queries
from kaifang.tasks.registry import JOBS
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import PageNumber, get_db, require
from kaifang.web.templating import render

router = APIRouter(prefix="/console/jobs", dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("")
def job_list(
    request: Request, db: Annotated[Session, Depends(get_db)],
    principal: Annotated[Principal, Depends(require(Permission.JOBS_READ))],
    page: PageNumber, state: str = "", name: str = "",
) -> Response:
    return render(request, "tasks/jobs.html", {
        "page": queries.list_jobs(db, principal, state=state or None, name=name or None, page=page),
        "counts": queries.job_counts(db, principal), "filters": {"state": state, "name": name},
        "names": sorted(JOBS), "periodic": sorted(n for n, s in JOBS.items() if s.periodic is not None),
        "backend": request.app.state.settings.jobs_backend,
    })
