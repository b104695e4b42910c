from django.urls import path

from momentry.api import converters  # noqa: F401  (registers <uuidish:...>)

from . import views

urlpatterns = [
    path("history/<uuidish:history_id>/undo", views.history_undo_view, name="history-undo"),
    path("history/<uuidish:history_id>/redo", views.history_redo_view, name="history-redo"),
    path("merges/", views.merge_list_view, name="merge-list"),
    path("merges/<uuidish:merge_id>/undo", views.merge_undo_view, name="merge-undo"),
    path("merges/<uuidish:merge_id>/redo", views.merge_redo_view, name="merge-redo"),
]
