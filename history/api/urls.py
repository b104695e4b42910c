from django.urls import path

from momentry.api import converters  # noqa: F401  (registers <uuidish:...>)

from . import views

urlpatterns = [
    path("identity/<uuidish:identity_uuid>/history", views.IdentityHistoryView.as_view(), name="identity-history"),
    path("identity/history/<uuidish:history_id>/undo", views.HistoryUndoView.as_view(), name="identity-history-undo"),
    path("identity/history/<uuidish:history_id>/redo", views.HistoryRedoView.as_view(), name="identity-history-redo"),
]
