"""Published versions of tabular data (immutable Parquet files) and the ingest runs that make them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kaifang.db import Base, UTCDateTime


class DatasetVersion(Base):
    """One immutable version of an entry's data (A16.1, A16.2). The metadata database never stores rows."""

    __tablename__ = "dataset_version"
    __table_args__ = (UniqueConstraint("entry_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # relative to the files directory: datasets/<entry>/<uuid>.parquet
    parquet_path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    row_count: Mapped[int] = mapped_column(BigInteger)
    field_count: Mapped[int] = mapped_column(Integer)
    schema_json: Mapped[str] = mapped_column(Text)  # the data items this version was checked against
    source_filename: Mapped[str] = mapped_column(String(300))
    source_format: Mapped[str] = mapped_column(String(10))
    source_encoding: Mapped[str | None] = mapped_column(String(20))
    quality_json: Mapped[str] = mapped_column(Text)
    quality_score: Mapped[float] = mapped_column(Float)
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(500), default="")


class IngestRun(Base):
    """An upload being checked and converted: its progress shows on the agency's page."""

    __tablename__ = "ingest_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    # queued -> running -> succeeded | failed
    state: Mapped[str] = mapped_column(String(20), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    upload_path: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # JSON list of {line, column, field, msgid, params} or a whole-file {msgid, params}
    problems_json: Mapped[str] = mapped_column(Text, default="[]")
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_version.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class LookupService(Base):
    """A named lookup over a dataset (A19.1, A22.1), e.g. 按统一社会信用代码查询企业: the caller gives the key fields,
    the service answers the matching rows' chosen fields."""

    __tablename__ = "lookup_service"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)  # in the URL: /api/v1/lookup/<name>
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    key_fields: Mapped[str] = mapped_column(Text)  # JSON list of field names
    return_fields: Mapped[str] = mapped_column(Text)  # JSON list of field names
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
