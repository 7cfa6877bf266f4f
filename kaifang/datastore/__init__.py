"""The data engine and its domain: ingest to immutable Parquet versions, quality reports, the reading use cases
(previews, the data API, lookups, downloads).

``engine/`` and ``schema.py`` are a library that imports no domain: the catalog and access domains use them
directly. The rest is a domain like the others. This package therefore exports nothing: importing the engine
must not load the datastore domain, which imports the catalog (docs/decisions/0010-events-between-domains.md).
Its use cases are in ``kaifang.datastore.reading`` (reads), ``services`` (uploads, versions) and ``lookups``.
"""
