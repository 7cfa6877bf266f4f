"""The applicants' pages of conditional access (A20-A24, A34.1)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from kaifang.web.csrf import csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
