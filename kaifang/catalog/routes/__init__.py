"""The catalog's pages: the public catalog search (pages.py) and the agencies' console (console.py)."""
