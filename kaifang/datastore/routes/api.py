"""The data API (A19.1, A22.1) and downloads (A16.2). Every read goes through the one access decision."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from kaifang.access import Delivery
from kaifang.catalog.queries import get_entry
from kaifang.datastore import lookups, queries
from kaifang.datastore.engine import (
    FORMATS,
    Filter,
    QueryError,
    build_query,
    cached_export,
    content_disposition,
    iter_file,
    parse_query,
    run_aggregate,
    run_records,
)
from kaifang.i18n import gettext_
from kaifang.security import Principal
from kaifang.web.apideps import api_caller
from kaifang.web.deps import get_db

router = APIRouter(tags=["data"])
DB = Annotated[Session, Depends(get_db)]
Me = Annotated[Principal, Depends(api_caller)]


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"status": status, "message": message}
    if field:
        body["field"] = field
    return JSONResponse({"error": body}, status_code=status)


def _refused(reason: str) -> JSONResponse:
    return _error(403, gettext_(reason))


@router.get("/api/v1/datasets/{entry_id}/records", summary="Query a dataset's records")
def records(request: Request, db: DB, principal: Me, entry_id: int) -> Response:
    """Filters `column__op=value` (exact, ne, gt, gte, lt, lte, in, contains, startswith, isnull), `_sort`,
    `_fields`, `_limit`, `_next` (opaque keyset token), `_total` (exact|estimate|none), and grouped aggregates
    with `_group_by` and `_agg` (count, sum:col, avg:col, min:col, max:col)."""
    settings = request.app.state.settings
    pairs = request.query_params.multi_items()
    outcome = queries.open_for_reading(db, principal, entry_id, Delivery.API, "api", urlencode(pairs))
    if outcome.refused:
        return _refused(outcome.refused)
    readable = outcome.unwrap()
    opts = {"timeout_s": settings.query_timeout_seconds, "memory_limit": settings.query_memory_limit}
    try:
        q = parse_query(pairs, readable.schema, readable.projection, max_limit=settings.api_max_limit,
                        default_limit=settings.api_default_limit)
        if q.is_aggregate:
            agg = run_aggregate(readable.path, readable.schema, q, readable.projection, **opts)
            return JSONResponse({"dataset": entry_id, "version": readable.version.number, "fields": agg.fields,
                                 "groups": agg.groups, "truncated": agg.truncated})
        page = run_records(readable.path, readable.schema, q, readable.projection, **opts)
    except QueryError as exc:
        return _error(408 if exc.__class__.__name__ == "QueryTimeout" else 400,
                      gettext_(exc.msgid, **exc.params), exc.field)
    body: dict[str, Any] = {"dataset": entry_id, "version": readable.version.number, "fields": page.fields,
                            "records": page.rows, "total": page.total, "total_is_estimate": page.total_is_estimate,
                            "next": page.next_token}
    if page.next_token:
        rest = [(k, v) for k, v in pairs if k not in ("_next", "next")] + [("_next", page.next_token)]
        body["next_url"] = f"{request.url.path}?{urlencode(rest)}"
    return JSONResponse(body)


@router.get("/datasets/{entry_id}/download/{fmt}", summary="Download a dataset")
def download(request: Request, db: DB, principal: Me, entry_id: int, fmt: str, bom: bool = False) -> Response:
    if fmt not in FORMATS:
        return _error(404, gettext_("Unknown download format: %(fmt)s", fmt=fmt), "fmt")
    outcome = queries.open_for_reading(db, principal, entry_id, Delivery.DOWNLOAD, f"download:{fmt}",
                                       "bom=1" if bom else "")
    if outcome.refused:
        return _refused(outcome.refused)
    readable = outcome.unwrap()
    settings = request.app.state.settings
    path = cached_export(readable.path, readable.schema, fmt, readable.projection, settings.files_dir / "exports",
                         bom=bom and fmt == "csv", file_sha256=readable.version.sha256)
    entry = get_entry(db, principal, entry_id)
    spec = FORMATS[fmt]
    name = f"{entry.card.name}-v{readable.version.number}.{spec.extension}"
    headers = {"Content-Disposition": content_disposition(name, f"dataset-{entry_id}-v{readable.version.number}."
                                                                f"{spec.extension}"),
               "Content-Length": str(path.stat().st_size), "X-Content-Type-Options": "nosniff"}
    from kaifang.catalog.services import record_download

    record_download(db, principal, entry_id)
    return StreamingResponse(iter_file(path), media_type=spec.media_type, headers=headers)


@router.get("/api/v1/lookup/{name}", summary="Call a named lookup service")
def lookup(request: Request, db: DB, principal: Me, name: str) -> Response:
    """A named lookup (e.g. an enterprise by its credit code): every key field of the service as a parameter."""
    view = lookups.lookup_service(db, principal, name)
    given = dict(request.query_params)
    missing = lookups.missing_keys(view, given)
    if missing:
        return _error(400, gettext_("Give every key of this service: %(keys)s", keys=", ".join(missing)),
                      missing[0])
    filters = [Filter(k, "exact", given[k]) for k in view.key_fields]
    outcome = queries.open_for_reading(db, principal, view.entry_id, Delivery.API, f"lookup:{name}",
                                       urlencode(sorted(given.items())))
    if outcome.refused:
        return _refused(outcome.refused)
    readable = outcome.unwrap()
    settings = request.app.state.settings
    try:
        visible = {f.name for f in readable.projection.visible_fields(readable.schema)}
        q = build_query(readable.schema, readable.projection, filters=filters,
                        fields=[f for f in view.return_fields if f in visible], limit=20, total="none")
        page = run_records(readable.path, readable.schema, q, readable.projection,
                           timeout_s=settings.query_timeout_seconds, memory_limit=settings.query_memory_limit)
    except QueryError as exc:
        return _error(400, gettext_(exc.msgid, **exc.params), exc.field)
    return JSONResponse({"service": name, "dataset": view.entry_id, "version": readable.version.number,
                         "records": page.rows})
