from momentry.api import converters  # noqa: F401  (registers <uuidish:...>)

urlpatterns = []
