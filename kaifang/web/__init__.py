"""The web layer: base templates, errors, forms and the act() pattern, static assets, the shared routes."""
