"""Generated Parquet files shaped like a published version: Suzhou enterprises, 11 declared columns.

Rows come from DuckDB ``range()`` with deterministic arithmetic, so any size is quick to build and the
same ``n`` always gives the same file. Some values are NULL in every column but the name, and every
1000th name carries the characters that CSV, JSON and XML must escape.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from kaifang.datastore.schema import FieldSpec, FieldType, TableSchema

DISTRICTS = ["姑苏区", "吴中区", "相城区", "吴江区", "虎丘区", "工业园区", "昆山市", "常熟市", "张家港市", "太仓市"]
INDUSTRIES = ["制造业", "批发和零售业", "信息传输、软件和信息技术服务业", "科学研究和技术服务业", "建筑业",
              "金融业", "房地产业", "住宿和餐饮业", "交通运输、仓储和邮政业", "教育", "卫生和社会工作",
              "文化、体育和娱乐业"]
PREFIXES = ["苏州", "姑苏", "吴中", "昆山", "常熟", "太仓", "张家港", "吴江", "相城", "园区", "金鸡湖",
            "独墅湖"]
WORDS = ["科技", "贸易", "电子", "机械", "纺织", "生物医药", "信息技术", "新材料", "物流", "建设", "文化传媒",
         "餐饮管理"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "沈", "顾", "陆", "钱"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英"]
TRICKY_NAME = 'A&B <测试> "引号", 逗号\n换行'

SCHEMA = TableSchema((
    FieldSpec("name", "企业名称", FieldType.STRING, required=True),
    FieldSpec("credit_code", "统一社会信用代码", FieldType.STRING),
    FieldSpec("district", "所属区县", FieldType.STRING),
    FieldSpec("industry", "所属行业", FieldType.STRING),
    FieldSpec("capital", "注册资本", FieldType.DECIMAL, unit="万元"),
    FieldSpec("founded", "成立日期", FieldType.DATE),
    FieldSpec("staff", "从业人数", FieldType.INTEGER, unit="人"),
    FieldSpec("listed", "是否上市", FieldType.BOOLEAN),
    FieldSpec("updated_at", "更新时间", FieldType.DATETIME),
    FieldSpec("legal_rep", "法定代表人", FieldType.STRING, sensitivity="internal"),
    FieldSpec("address", "注册地址", FieldType.STRING),
))


def _pick(values: list[str], salt: int) -> str:
    items = ", ".join("'" + v + "'" for v in values)
    return f"list_extract([{items}], (h{salt} % {len(values)})::INT + 1)"


def companies_sql(n: int) -> str:
    """A SELECT producing ``n`` generated enterprises with the columns of ``SCHEMA``."""
    hashes = ", ".join(f"(((i + {k}) * 2654435761 + {k * 40503}) % 4294967291) AS h{k}" for k in range(1, 10))
    return f"""
    WITH base AS (SELECT i, {hashes} FROM range({n}) t(i))
    SELECT
      CASE WHEN i % 1000 = 7 THEN '{TRICKY_NAME}' || ' ' || i
           ELSE {_pick(PREFIXES, 1)} || {_pick(WORDS, 2)} || '有限公司' || i END AS name,
      '91320' || lpad(((h3 % 99999999999))::VARCHAR, 11, '0') || chr(65 + (h3 % 26)::INT) || (i % 10)::VARCHAR
        AS credit_code,
      CASE WHEN h4 % 29 = 0 THEN NULL ELSE {_pick(DISTRICTS, 4)} END AS district,
      CASE WHEN h5 % 31 = 0 THEN NULL ELSE {_pick(INDUSTRIES, 5)} END AS industry,
      CASE WHEN h6 % 37 = 0 THEN NULL ELSE round((h6 % 1000000) / 100.0, 2)::DOUBLE END AS capital,
      CASE WHEN h7 % 53 = 0 THEN NULL ELSE DATE '1990-01-01' + (h7 % 12000)::INT END AS founded,
      CASE WHEN h8 % 41 = 0 THEN NULL ELSE (h8 % 5000)::BIGINT END AS staff,
      CASE WHEN h9 % 61 = 0 THEN NULL ELSE h9 % 20 = 0 END AS listed,
      TIMESTAMP '2024-01-01 00:00:00' + to_seconds((h1 % 31536000)::BIGINT)
        + to_microseconds(((h2 % 3 = 0)::INT * 123456)::BIGINT) AS updated_at,
      CASE WHEN h2 % 43 = 0 THEN NULL ELSE {_pick(SURNAMES, 3)} || {_pick(GIVEN, 6)} END AS legal_rep,
      '江苏省苏州市' || coalesce({_pick(DISTRICTS, 4)}, '') || '干将路' || (i % 999)::VARCHAR || '号' AS address
    FROM base ORDER BY i
    """


def write_companies(path: Path, n: int, *, row_group_size: int = 122_880) -> Path:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        con.execute(f"COPY ({companies_sql(n)}) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE {row_group_size})")
    finally:
        con.close()
    return path


def source_rows(path: Path, sql_tail: str = "", params: tuple = (), columns: str | None = None) -> list[dict]:
    """Rows read straight from the file with DuckDB, independent of the engine (``sql_tail``: WHERE/ORDER BY)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        select = columns or ", ".join(SCHEMA.names())
        tail = sql_tail or "ORDER BY file_row_number"
        cur = con.execute(f"SELECT {select} FROM read_parquet(?, file_row_number=true) {tail}", [str(path), *params])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
