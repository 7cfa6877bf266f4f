"""The staff's console of conditional access (A20.2, A20.3, A21.1, A23.1, A34.1)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from kaifang.web.csrf import csrf_protect

router = APIRouter(prefix="/console/access", dependencies=[Depends(csrf_protect)], include_in_schema=False)
