"""Cross-cutting web concerns: sessions, auth guards, templates, htmx, errors, headers.

Nothing here imports a domain package; domains plug their specifics in through app.py.
"""
