from django.urls import path

from momentry.api import converters  # noqa: F401  (registers <uuidish:...>)

from . import views

urlpatterns = [
    path("files/", views.file_list_view, name="file-list"),
    path("files/<uuidish:file_uuid>/", views.file_detail_view, name="file-detail"),
    path("files/<uuidish:file_uuid>/bind", views.trace_bind_view, name="trace-bind"),
]
