"""What the access pages and the agreement show of a catalog entry: its name, its stable code and its data items,
read through the catalog's exports whatever the entry's state now (an application keeps naming a dataset that
has left the published catalog)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from kaifang.catalog import entry_access_info


@dataclass(frozen=True)
class Dataset:
    entry_id: int
    name: str
    slug: str
    titles: dict[str, str]  # data item name -> its Chinese title
    names: list[str]  # every data item, in order


def dataset(session: Session, entry_id: int) -> Dataset:
    entry = entry_access_info(session, entry_id)
    fields = entry.schema.fields
    return Dataset(entry_id, entry.name, entry.slug, {f.name: f.title for f in fields}, [f.name for f in fields])


def datasets(session: Session, entry_ids: list[int]) -> dict[int, Dataset]:
    return {entry_id: dataset(session, entry_id) for entry_id in dict.fromkeys(entry_ids)}
