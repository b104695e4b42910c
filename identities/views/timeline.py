"""The file page's timeline as inline SVG: a lane per owner of the file's faces (the unbound faces
last), each trace a bar from its first to its last frame that opens the trace's page, a time axis,
and the chunks beneath as a transcript strip, each with its text as a tooltip
(`faces.selectors.file_timeline` reads them).

Units are the viewBox's, so the SVG scales to its container. Bars closer than `MIN_BAR` are merged
by the selector (`merge_gap_sec`) and none is drawn narrower, so a 1-second trace of a 2-hour film
can still be seen and clicked. The markup is built here rather than by a template loop: a film's
thousand bars and chunks took a template 150 ms, and one URL reverse a bar as long again.
"""
import functools

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from faces.selectors.timeline import file_timeline
from momentry.core.urls import INT_SENTINEL, UUID_SENTINEL, url_maker

from ..templatetags.console_time import hms

LABEL_WIDTH = 180
PLOT_WIDTH = 810
WIDTH = LABEL_WIDTH + PLOT_WIDTH + 10
AXIS_HEIGHT = 24
LANE_HEIGHT = 24
BAR_HEIGHT = 16
STRIP_GAP = 10
MIN_BAR = 3.0
MIN_CHUNK = 1.0
LABEL_CHARS = 24
CHUNK_TITLE_CHARS = 200
# Tick steps in seconds: the first that leaves at most MAX_TICKS ticks over the file.
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 14400, 28800)
MAX_TICKS = 8
def _shortened(text, limit):
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _traces_text(trace_ids):
    if len(trace_ids) == 1:
        return f"trace {trace_ids[0]}"
    shown = ", ".join(str(trace_id) for trace_id in trace_ids[:3])
    more = f" and {len(trace_ids) - 3} more" if len(trace_ids) > 3 else ""
    return f"{len(trace_ids)} traces: {shown}{more}"


def timeline_svg(media_file):
    """`(svg, duration)`: the file's timeline as SVG markup (safe) and the seconds it spans."""
    duration = media_file.duration or 0.0
    timeline = file_timeline(media_file, merge_gap_sec=duration * MIN_BAR / PLOT_WIDTH)
    scale = PLOT_WIDTH / timeline.duration if timeline.duration else 0.0

    def x(seconds):
        return f"{LABEL_WIDTH + seconds * scale:.1f}"

    def width(first, last, minimum):
        return f"{max((last - first) * scale, minimum):.1f}"

    strip_y = AXIS_HEIGHT + len(timeline.lanes) * LANE_HEIGHT + STRIP_GAP
    height = strip_y + LANE_HEIGHT + 4
    inset = (LANE_HEIGHT - BAR_HEIGHT) / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" class="timeline-svg" '
        f'role="img" aria-labelledby="timeline-title">',
        f'<title id="timeline-title">Who is on screen when in {escape(media_file.file_name)}</title>',
        '<g class="axis">',
    ]
    step = next((step for step in TICK_STEPS if timeline.duration / step <= MAX_TICKS), TICK_STEPS[-1])
    for seconds in range(0, int(timeline.duration) + 1, step):
        parts.append(
            f'<line x1="{x(seconds)}" x2="{x(seconds)}" y1="16" y2="{height}"></line>'
            f'<text x="{x(seconds)}" y="12">{hms(seconds)}</text>'
        )
    parts.append("</g>")
    trace_url = functools.partial(
        url_maker("console:trace-detail", [UUID_SENTINEL, INT_SENTINEL]), media_file.file_uuid.hex
    )
    for number, lane in enumerate(timeline.lanes):
        y = AXIS_HEIGHT + number * LANE_HEIGHT
        name = lane.name if lane.identity_uuid else "Unbound"
        label = escape(_shortened(name, LABEL_CHARS))
        # The lane's own title is the tooltip of its label and background; each bar has its own.
        background = f'<rect class="lane-bg" x="0" y="{y}" width="{WIDTH}" height="{LANE_HEIGHT}"></rect>'
        text = f'<text x="4" y="{y + LANE_HEIGHT / 2 + 4}">{label}</text>'
        if lane.identity_uuid:
            parts.append(
                f'<g class="lane" data-lane="{lane.identity_uuid.hex}">'
                f"<title>{escape(name)} · {lane.face_count} faces</title>{background}"
                f'<a href="{reverse("console:identity-detail", args=[lane.identity_uuid.hex])}">{text}</a>'
            )
        else:
            parts.append(
                f'<g class="lane unbound" data-lane="unbound">'
                f"<title>Faces bound to nobody · {lane.face_count} faces</title>{background}{text}"
            )
        for bar in lane.bars:
            title = (
                f"{name} · {hms(bar.first_sec)}–{hms(bar.last_sec)} · {_traces_text(bar.trace_ids)} "
                f"({bar.face_count} faces)"
            )
            parts.append(
                f'<a href="{trace_url(bar.trace_ids[0])}" data-trace="{bar.trace_ids[0]}">'
                f'<rect x="{x(bar.first_sec)}" y="{y + inset}" width="{width(bar.first_sec, bar.last_sec, MIN_BAR)}" '
                f'height="{BAR_HEIGHT}" rx="2"><title>{escape(title)}</title></rect></a>'
            )
        parts.append("</g>")
    parts.append(
        f'<g class="transcript"><title>What is said: {len(timeline.chunks)} chunks</title>'
        f'<text x="4" y="{strip_y + LANE_HEIGHT / 2 + 4}">Said</text>'
    )
    for chunk in timeline.chunks:
        title = f"{hms(chunk.start_time)}–{hms(chunk.end_time)} {_shortened(chunk.text, CHUNK_TITLE_CHARS)}"
        parts.append(
            f'<rect x="{x(chunk.start_time)}" y="{strip_y + inset}" '
            f'width="{width(chunk.start_time, chunk.end_time, MIN_CHUNK)}" height="{BAR_HEIGHT}">'
            f"<title>{escape(title)}</title></rect>"
        )
    parts.append("</g></svg>")
    return mark_safe("".join(parts)), timeline.duration
