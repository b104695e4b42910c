"""`/favicon.ico`, which browsers ask for whatever the page's `<link rel=icon>` says: a redirect to
the console's SVG icon, so no page's request for it is a 404."""
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

FAVICON = "console/favicon.svg"


@require_safe
@cache_control(public=True, max_age=86400)
def favicon_view(request):
    return HttpResponseRedirect(static(FAVICON))
