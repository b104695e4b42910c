"""On the demo library as `manage.py demo` loads it: the suggestions endpoint names the right cast
member for the strangers that are one, and never suggests someone who shares a frame."""
from collections import defaultdict

import pytest
from django.core.management import call_command

from faces.models import FaceDetection
from identities.demo.library import build_demo_library
from identities.models import Identity

pytestmark = pytest.mark.django_db

# Every film at a quarter of its runtime: each stranger keeps enough traces for a steady centroid,
# and the library loads in seconds. At full size (`manage.py demo`) the same holds (README).
SCALE = 0.25


@pytest.fixture
def demo(tmp_path):
    call_command("demo", "--scale", str(SCALE), "--no-crops", "--output-dir", str(tmp_path))
    return build_demo_library(scale=SCALE)


def frames_of_identities():
    frames = defaultdict(set)
    for identity_uuid, file_id, frame in FaceDetection.objects.filter(identity__isnull=False).values_list(
        "identity__identity_uuid", "media_file_id", "frame_number"
    ):
        frames[identity_uuid.hex].add((file_id, frame))
    return frames


def test_the_top_suggestion_is_the_right_cast_member_and_none_shares_a_frame(api, demo):
    truth = demo.stranger_cast_members
    present = set(Identity.objects.filter(source="auto").values_list("identity_uuid", flat=True))
    assert {uuid_hex for uuid_hex in truth} == {identity_uuid.hex for identity_uuid in present}
    frames = frames_of_identities()

    right = cast_strangers = 0
    for stranger, person in sorted(truth.items()):
        response = api.get(f"/api/v1/identity/{stranger}/suggestions", {"limit": 5})
        assert response.status_code == 200
        suggested = [item["identity"]["identity_uuid"] for item in response.json()["suggestions"]]
        for candidate in suggested:
            assert not frames[stranger] & frames[candidate], f"{candidate} shares a frame with {stranger}"
        if person is not None:
            cast_strangers += 1
            right += bool(suggested) and suggested[0] == person

    assert cast_strangers >= 30
    assert right / cast_strangers >= 0.9, f"{right} of {cast_strangers} strangers' top suggestion is right"
