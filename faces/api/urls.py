from django.urls import path

from momentry.api import converters  # noqa: F401  (registers <uuidish:...>)

from . import views

urlpatterns = [
    path(
        "file/<uuidish:file_uuid>/pending-person",
        views.PendingPersonCreateView.as_view(),
        name="file-pending-person-create",
    ),
    path(
        "file/<uuidish:file_uuid>/pending-persons",
        views.PendingPersonListView.as_view(),
        name="file-pending-persons",
    ),
]
