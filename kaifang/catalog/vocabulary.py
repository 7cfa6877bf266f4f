"""The catalog's controlled vocabularies: (code, English msgid) pairs; the Chinese lives in catalog.po."""

from __future__ import annotations

from enum import StrEnum


class OpenClass(StrEnum):
    """A7.1: every entry carries exactly one open class."""

    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NOT_OPEN = "not_open"


class DataType(StrEnum):
    """A14.2 数据类型: a dataset file, a table the platform serves, or an API."""

    FILE = "file"
    TABLE = "table"
    API = "api"


class Frequency(StrEnum):
    """A14.2 更新频率; A16.3 derives the next due date from it."""

    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"
    IRREGULAR = "irregular"


class ReviewKind(StrEnum):
    """A15.1, A32.1: the assessments before an entry is opened."""

    PRIVACY = "privacy"  # 隐私和商业秘密审查
    LEGALITY = "legality"  # 合法性审查
    EXPERT = "expert"  # 专家评估 (aggregation and linkage risks, A32.1)


class Conclusion(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


# A17.1: the sixteen priority domains, first-class themes for browsing and statistics.
DOMAINS: dict[str, str] = {
    "credit": "Public credit",
    "education": "Education",
    "transport": "Transport",
    "culture_tourism": "Culture and tourism",
    "science": "Science and technology",
    "hr_social_security": "Human resources and social security",
    "natural_resources": "Natural resources",
    "ecology": "Ecology and environment",
    "agriculture": "Agriculture and rural affairs",
    "health": "Health",
    "emergency": "Emergency management",
    "market": "Market regulation",
    "statistics": "Official statistics",
    "medical_security": "Medical security",
    "finance": "Finance",
    "meteorology": "Meteorology",
}

OPEN_CLASS_LABELS: dict[str, str] = {
    OpenClass.UNCONDITIONAL: "Unconditionally open",
    OpenClass.CONDITIONAL: "Conditionally open",
    OpenClass.NOT_OPEN: "Not open",
}

DATA_TYPE_LABELS: dict[str, str] = {
    DataType.FILE: "Dataset file",
    DataType.TABLE: "Data table",
    DataType.API: "Data API",
}

FREQUENCY_LABELS: dict[str, str] = {
    Frequency.REALTIME: "Real time",
    Frequency.DAILY: "Daily",
    Frequency.WEEKLY: "Weekly",
    Frequency.MONTHLY: "Monthly",
    Frequency.QUARTERLY: "Quarterly",
    Frequency.HALF_YEARLY: "Every half year",
    Frequency.YEARLY: "Yearly",
    Frequency.IRREGULAR: "Irregularly",
}

# A16.2: machine-readable formats (labels are the formats' own names, not translated).
FORMATS: dict[str, str] = {
    "csv": "CSV",
    "json": "JSON",
    "xml": "XML",
    "xlsx": "XLSX",
    "xls": "XLS",
    "geojson": "GeoJSON",
}

REVIEW_KIND_LABELS: dict[str, str] = {
    ReviewKind.PRIVACY: "Privacy and trade secret review",
    ReviewKind.LEGALITY: "Legality review",
    ReviewKind.EXPERT: "Expert review",
}

CONCLUSION_LABELS: dict[str, str] = {
    Conclusion.APPROVE: "Approved",
    Conclusion.REJECT: "Rejected",
}

# A31.1: the grade of each data item (kaifang.datastore.schema.FieldSpec.sensitivity).
SENSITIVITY_LABELS: dict[str, str] = {
    "public": "Public",
    "internal": "Internal",
    "sensitive": "Sensitive",
}

# A14.2: the required elements of an entry, by the label the completeness check names.
REQUIRED_ELEMENT_LABELS: dict[str, str] = {
    "name": "Catalog name",
    "items": "Complete data items",
    "provider": "Provider",
    "open_class": "Open class",
    "formats": "Data formats",
    "data_type": "Data type",
    "update_frequency": "Update frequency",
    "open_conditions": "Open conditions",
}
