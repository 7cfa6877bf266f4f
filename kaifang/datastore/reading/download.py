"""A download of a dataset (A16.2): the current version in one format, within the reader's projection, made
once and reused (engine/export.py); counted by the catalog (the DatasetDownloaded event)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from kaifang.access import Delivery
from kaifang.catalog import get_entry
from kaifang.config import Settings
from kaifang.datastore.engine import FORMATS, cached_export, content_disposition
from kaifang.datastore.reading.gate import open_for_reading
from kaifang.errors import NotFound
from kaifang.events import DatasetDownloaded, publish
from kaifang.security import PUBLIC, Principal, query

# (format, with a byte order mark for Excel): what a dataset's page offers, in this order.
DOWNLOADS = (("csv", False), ("csv", True), ("json", False), ("xml", False), ("xlsx", False), ("parquet", False))


class UnknownFormat(NotFound):
    def __init__(self, fmt: str) -> None:
        super().__init__("Unknown download format: %(fmt)s", field="fmt", fmt=fmt)


def download_href(entry_id: int, fmt: str, bom: bool = False) -> str:
    return f"/datasets/{entry_id}/download/{fmt}" + ("?bom=1" if bom else "")


@dataclass(frozen=True)
class DownloadFile:
    path: Path
    media_type: str
    content_disposition: str  # the entry's (Chinese) name and version, with an ASCII fallback

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@query(PUBLIC)
def read_download(session: Session, principal: Principal, entry_id: int, fmt: str, bom: bool = False) -> DownloadFile:
    """Decide (the download delivery), log, and make the file. Raises ``UnknownFormat`` (404, before anything
    is logged) or ``DataRefused`` (403)."""
    spec = FORMATS.get(fmt)
    if spec is None:
        raise UnknownFormat(fmt)
    readable = open_for_reading(session, principal, entry_id, Delivery.DOWNLOAD, f"download:{fmt}",
                                "bom=1" if bom else "").unwrap()
    settings: Settings = session.info["settings"]
    path = cached_export(readable.path, readable.schema, fmt, readable.projection, settings.files_dir / "exports",
                         bom=bom and fmt == "csv", file_sha256=readable.version.sha256)
    number = readable.version.number
    name = f"{get_entry(session, principal, entry_id).card.name}-v{number}.{spec.extension}"
    disposition = content_disposition(name, f"dataset-{entry_id}-v{number}.{spec.extension}")
    publish(session, principal, DatasetDownloaded(entry_id, fmt))
    return DownloadFile(path, spec.media_type, disposition)
