"""The WSGI application, loaded by every gunicorn worker and by runserver.

Before serving, each process writes the identity files a killed process still owed (the outbox of
`identities.services.files`: empty, and one query, unless a process died between a commit and its
file writes). `manage.py sync_files` compares everything.
"""
import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "momentry.settings")
application = get_wsgi_application()

logger = logging.getLogger(__name__)


def write_owed_identity_files():
    """Never keeps the process from serving: a failure (no database yet, say) is logged; the next
    start, or `manage.py sync_files`, writes the files. Closes the connection it used, so a
    process forked after loading the application (gunicorn --preload) shares none."""
    from django.db import connection

    from identities.services.files import identity_files_sync_pending

    try:
        written = identity_files_sync_pending()
    except Exception as exc:  # noqa: BLE001 - start-up goes on; the files are still owed
        logger.warning("Identity files owed by a stopped process were not written at start-up: %r", exc)
        return
    finally:
        connection.close()
    if written:
        logger.info("Start-up: wrote the files a stopped process still owed (identities: %d).", written)


write_owed_identity_files()
