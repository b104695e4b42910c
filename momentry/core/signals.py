"""Signals the project's entry points send, so the apps above can act on them without the entry
points importing the apps (the same inversion as `faces.signals`)."""
from django.dispatch import Signal

# Sent once by each serving process (gunicorn worker, runserver) after the application is loaded
# and before it serves. Receivers must be cheap: they delay the first request.
process_started = Signal()
