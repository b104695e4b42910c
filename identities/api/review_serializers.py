"""Response shapes of the reads that help a curator decide: suggestions, a file's traces and the
review queue."""
from rest_framework import serializers

from momentry.api.serializers import FlatListSerializer

from ..suggestions import INCLUDE_CHOICES, REASONS, REVIEW_ORDERS
from .fields import HexUuidField
from .serializers import IdentitySerializer


class SuggestionSerializer(serializers.Serializer):
    identity = IdentitySerializer(help_text="The candidate's record (with `display_name` under `locale`).")
    similarity = serializers.FloatField(help_text="Cosine of the two identities' face centroids, -1 to 1.")
    shared_frames = serializers.IntegerField(
        help_text="Frames where both have a face: one person is not twice in a frame, so a candidate with any "
        "is never suggested (listed under `explain=true`)."
    )
    files_in_common = serializers.IntegerField()
    faces = serializers.IntegerField(help_text="The candidate's faces.")
    screen_time_sec = serializers.FloatField(help_text="The spans of the candidate's traces, in seconds.")
    suggested = serializers.BooleanField(help_text="False for a candidate listed only to explain (see `reason`).")
    reason = serializers.ChoiceField(
        choices=REASONS, allow_null=True, help_text="Why a listed candidate is not suggested."
    )

    class Meta:
        list_serializer_class = FlatListSerializer


class SuggestionsResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    identity_uuid = HexUuidField()
    include = serializers.ChoiceField(choices=INCLUDE_CHOICES)
    suggestions = SuggestionSerializer(many=True)
    reason = serializers.CharField(
        allow_null=True, help_text="Why the list is empty when it must be: `no_embeddings` (no face has one)."
    )


class BestSuggestionSerializer(serializers.Serializer):
    identity = IdentitySerializer()
    similarity = serializers.FloatField()


class TraceOwnerSerializer(serializers.Serializer):
    identity_uuid = HexUuidField()
    name = serializers.CharField()
    status = serializers.CharField()
    source = serializers.CharField()

    class Meta:
        list_serializer_class = FlatListSerializer


class FileTraceSerializer(serializers.Serializer):
    trace_id = serializers.IntegerField()
    frame_count = serializers.IntegerField()
    face_count = serializers.IntegerField()
    bound_count = serializers.IntegerField(help_text="Faces of the trace bound to an identity.")
    first_frame = serializers.IntegerField()
    last_frame = serializers.IntegerField()
    first_sec = serializers.FloatField(allow_null=True)
    last_sec = serializers.FloatField(allow_null=True)
    avg_confidence = serializers.FloatField()
    identities = TraceOwnerSerializer(many=True, help_text="The identities its faces are bound to.")
    suggestion = BestSuggestionSerializer(
        allow_null=True,
        help_text="For a trace with unbound faces or a stranger's: the likeliest known identity, from the trace's "
        "own faces; null when there is none or the trace is a known person's.",
    )


class FileTracesResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    file_uuid = HexUuidField()
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    traces = FileTraceSerializer(many=True)


class ReviewItemSerializer(serializers.Serializer):
    identity = IdentitySerializer()
    faces = serializers.IntegerField()
    screen_time_sec = serializers.FloatField()
    files = serializers.IntegerField()
    suggestion = BestSuggestionSerializer(allow_null=True, help_text="The top suggestion, null when there is none.")

    class Meta:
        list_serializer_class = FlatListSerializer


class ReviewStrangersResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    order = serializers.ChoiceField(choices=REVIEW_ORDERS)
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    strangers = ReviewItemSerializer(many=True)
