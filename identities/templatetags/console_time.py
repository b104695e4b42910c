"""The console's times: seconds into a film or on screen as h:mm:ss, as a player shows them."""
from django import template

register = template.Library()


@register.filter
def hms(seconds):
    """`3725.4` as `1:02:05`, to the nearest second; a dash when unknown (a file without fps)."""
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
