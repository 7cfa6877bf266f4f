"""The data API (A19.1, A22.1), lookups and downloads (A16.2): each route parses its request, calls one reading
service (kaifang/datastore/reading/) and renders its answer. A refusal of the read is answered in JSON, with
the status of its error: ``{"error": {"status", "message", "field"?}}``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from kaifang.datastore.engine import iter_file
from kaifang.datastore.reading import (
    DataRefused,
    RecordsAnswer,
    UnknownFormat,
    read_download,
    read_lookup,
    read_records,
)
from kaifang.errors import BusinessRuleError, KaifangError
from kaifang.i18n import translate
from kaifang.security import Principal
from kaifang.web.apideps import api_caller
from kaifang.web.deps import get_db

router = APIRouter(tags=["data"])
DB = Annotated[Session, Depends(get_db)]
Me = Annotated[Principal, Depends(api_caller)]

# What a read answers in JSON wherever it is asked (a download too). A hidden or missing dataset or service is
# left to the app's error pages (404), like everywhere else.
READ_REFUSALS = (DataRefused, UnknownFormat, BusinessRuleError)


def refused(exc: KaifangError) -> JSONResponse:
    body: dict[str, Any] = {"status": exc.status, "message": translate(exc)}
    if exc.field:
        body["field"] = exc.field
    return JSONResponse({"error": body}, status_code=exc.status)


@router.get("/api/v1/datasets/{entry_id}/records", summary="Query a dataset's records")
def records(request: Request, db: DB, principal: Me, entry_id: int) -> Response:
    """Filters `column__op=value` (exact, ne, gt, gte, lt, lte, in, contains, startswith, isnull), `_sort`,
    `_fields`, `_limit`, `_next` (opaque keyset token), `_total` (exact|estimate|none), and grouped aggregates
    with `_group_by` and `_agg` (count, sum:col, avg:col, min:col, max:col)."""
    pairs = request.query_params.multi_items()
    try:
        answer = read_records(db, principal, entry_id, pairs)
    except READ_REFUSALS as exc:
        return refused(exc)
    body = answer.body()
    if isinstance(answer, RecordsAnswer) and answer.next:
        rest = [(k, v) for k, v in pairs if k not in ("_next", "next")] + [("_next", answer.next)]
        body["next_url"] = f"{request.url.path}?{urlencode(rest)}"
    return JSONResponse(body)


@router.get("/datasets/{entry_id}/download/{fmt}", summary="Download a dataset")
def download(db: DB, principal: Me, entry_id: int, fmt: str, bom: bool = False) -> Response:
    try:
        file = read_download(db, principal, entry_id, fmt, bom)
    except READ_REFUSALS as exc:
        return refused(exc)
    headers = {"Content-Disposition": file.content_disposition, "Content-Length": str(file.size),
               "X-Content-Type-Options": "nosniff"}
    return StreamingResponse(iter_file(file.path), media_type=file.media_type, headers=headers)


@router.get("/api/v1/lookup/{name}", summary="Call a named lookup service")
def lookup(request: Request, db: DB, principal: Me, name: str) -> Response:
    """A named lookup (e.g. an enterprise by its credit code): every key field of the service as a parameter."""
    try:
        answer = read_lookup(db, principal, name, dict(request.query_params))
    except READ_REFUSALS as exc:
        return refused(exc)
    return JSONResponse(answer.body())
