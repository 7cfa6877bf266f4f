"""The data engine: ingest to immutable Parquet versions, quality reports, previews, the data API, downloads."""
