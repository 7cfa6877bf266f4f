"""Reference data: 苏州市 and its ten county-level units (A5.5, A14.1).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REGIONS = [
    ("320500", "苏州市", "Suzhou", "city", None),
    ("320508", "姑苏区", "Gusu District", "county", "320500"),
    ("320505", "虎丘区", "Huqiu District", "county", "320500"),
    ("320506", "吴中区", "Wuzhong District", "county", "320500"),
    ("320507", "相城区", "Xiangcheng District", "county", "320500"),
    ("320509", "吴江区", "Wujiang District", "county", "320500"),
    ("320571", "苏州工业园区", "Suzhou Industrial Park", "county", "320500"),
    ("320581", "常熟市", "Changshu", "county", "320500"),
    ("320582", "张家港市", "Zhangjiagang", "county", "320500"),
    ("320583", "昆山市", "Kunshan", "county", "320500"),
    ("320585", "太仓市", "Taicang", "county", "320500"),
]

region = sa.table(
    "region",
    sa.column("code", sa.String), sa.column("name", sa.String), sa.column("name_en", sa.String),
    sa.column("level", sa.String), sa.column("parent_code", sa.String), sa.column("sort_order", sa.Integer),
)


def upgrade() -> None:
    op.bulk_insert(region, [
        {"code": c, "name": n, "name_en": e, "level": lvl, "parent_code": p, "sort_order": i}
        for i, (c, n, e, lvl, p) in enumerate(REGIONS)
    ])


def downgrade() -> None:
    op.execute(region.delete())
