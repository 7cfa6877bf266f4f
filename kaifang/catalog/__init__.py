"""The open catalog (A7, A8, A9.2, A14, A15, A16.3, A17, A24.1): entries, data items, the publishing
process, open-class changes, search. What other domains may use."""

from kaifang.catalog.classes import change_open_class, confirm_open_class
from kaifang.catalog.queries import (
    class_reviews_due,
    entry_access_info,
    entry_actions,
    entry_checklist,
    entry_history,
    entry_providers,
    entry_reviews,
    entry_schema,
    get_entry,
    list_entries,
    my_catalog_organisations,
    overdue_entries,
    review_queue,
)
from kaifang.catalog.rules import due_for_update, missing_fields
from kaifang.catalog.schemas import (
    DataItemInput,
    EntryAccess,
    EntryCard,
    EntryDetailsInput,
    EntryInput,
    EntryView,
    SearchResult,
)
from kaifang.catalog.search import search_entries
from kaifang.catalog.services import (
    create_entry,
    mark_data_updated,
    publish_entry,
    recall_entry,
    record_download,
    record_review,
    record_view,
    republish_entry,
    revise_entry,
    set_data_volume,
    submit_entry,
    update_entry,
    update_entry_details,
    withdraw_entry,
)
from kaifang.catalog.vocabulary import (
    DATA_TYPE_LABELS,
    DOMAINS,
    FORMATS,
    FREQUENCY_LABELS,
    OPEN_CLASS_LABELS,
    REVIEW_KIND_LABELS,
    SENSITIVITY_LABELS,
    Conclusion,
    DataType,
    Frequency,
    OpenClass,
    ReviewKind,
)
from kaifang.catalog.workflow import PUBLISHING, STATE_LABELS, EntryState

__all__ = [
    "DATA_TYPE_LABELS", "DOMAINS", "FORMATS", "FREQUENCY_LABELS", "OPEN_CLASS_LABELS", "PUBLISHING",
    "REVIEW_KIND_LABELS", "SENSITIVITY_LABELS", "STATE_LABELS",
    "Conclusion", "DataItemInput", "DataType", "EntryAccess", "EntryCard", "EntryDetailsInput", "EntryInput",
    "EntryState", "EntryView", "Frequency", "OpenClass", "ReviewKind", "SearchResult", "change_open_class",
    "class_reviews_due", "confirm_open_class", "create_entry", "due_for_update", "entry_access_info", "entry_actions",
    "entry_checklist", "entry_history", "entry_providers", "entry_reviews", "entry_schema", "get_entry", "list_entries",
    "mark_data_updated", "missing_fields", "my_catalog_organisations", "overdue_entries", "publish_entry",
    "recall_entry", "record_download", "record_review", "record_view", "republish_entry", "review_queue",
    "revise_entry", "search_entries", "set_data_volume", "submit_entry", "update_entry", "update_entry_details",
    "withdraw_entry",
]

# The catalog's reactions to other domains' events (kaifang/events.py: the data engine's versions and downloads).
from kaifang.catalog import subscribers

subscribers.register()
