"""The WSGI application, loaded by every gunicorn worker and by runserver.

Before serving, each process sends `process_started`; the apps do their start-up work on it (the
identities app writes the identity files a killed process still owed).
"""
import logging
import os

from django.core.wsgi import get_wsgi_application
from django.db import connection

from momentry.core.signals import process_started

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "momentry.settings")
application = get_wsgi_application()

logger = logging.getLogger(__name__)


def start_serving():
    """Never keeps the process from serving: a receiver's failure (no database yet, say) is logged.
    Closes the connection the receivers used, so a process forked after loading the application
    (gunicorn --preload) shares none."""
    try:
        for receiver, outcome in process_started.send_robust(sender=None):
            if isinstance(outcome, Exception):
                logger.warning("Start-up work %s failed; serving anyway: %r", receiver.__qualname__, outcome)
    finally:
        connection.close()


start_serving()
