"""Drawn faces for the demo: one look per performer, posed and lit anew for each trace.

A look (`FaceLook`) is drawn from a generator seeded by the performer's label: face shape, skin,
hair style and colour, eyes, brows, nose, mouth, glasses, moustache. The second of a `LOOKALIKES`
pair takes its partner's look, redraws the nose, the mouth and the brows and changes the rest a
little, so the two are confusable as their embeddings are. Each look is drawn once (`Drawings`); a trace's portrait
(`trace_portrait`) is that drawing turned, moved, zoomed and lit by the trace's own pose
(`trace_pose`), at the trace's crop size, and each face's crop (`face_crop`) a square of it a pixel
or two off centre, encoded as JPEG. The face's detection box is `FACE_BOX` of the drawing, so a
crop or a video frame (`posed_face`) shows the face where the document's bbox says.

Every draw comes from a generator seeded by a label, so a seed always gives the same bytes.
"""

import hashlib
import io
import math
import random
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw

from .catalogue import LOOKALIKES

# A look is drawn once on a square this large (lines STROKE wide), and posed from it or from its
# halves, so a posed face is never reduced more than twice over and its edges stay smooth.
DRAWING_SIZE = 320
STROKE = 2
# The detection box in the portrait, (x1, y1, x2, y2) as fractions of its side: a face 0.6 of the
# portrait high and 0.77 of that wide, as the demo's bboxes are.
FACE_BOX = (0.5 - 0.6 * 0.77 / 2, 0.2, 0.5 + 0.6 * 0.77 / 2, 0.8)
# A crop is a square around the box, this many times the box's height, at most CROP_SIZE pixels.
CROP_SCALE = 1.3
CROP_SIZE = 112
MIN_CROP_SIZE = 32
JPEG_QUALITY = 80

WOMEN = frozenset(
    "bergman hepburn_a saint kelly ritter novak bel_geddes monroe landis hepburn_k hussey colbert astor".split()
)
SKIN_TONES = ((250, 221, 196), (241, 199, 165), (226, 178, 140), (198, 142, 104), (161, 108, 72), (110, 72, 48))
HAIR_COLOURS = (
    (24, 20, 18),
    (58, 38, 26),
    (96, 64, 40),
    (140, 74, 38),
    (196, 158, 98),
    (236, 220, 170),
    (150, 148, 144),
)
EYE_COLOURS = ((70, 44, 26), (52, 92, 150), (70, 110, 70), (110, 116, 120), (120, 90, 50))
MEN_HAIR = ("short", "parted", "slick", "receding", "curly", "bald")
WOMEN_HAIR = ("long", "bob", "curly", "updo")
CLOTHES = ((34, 36, 44), (60, 52, 46), (200, 196, 186), (92, 40, 44), (40, 60, 90), (110, 110, 104))
BACKGROUNDS = ((88, 96, 110), (120, 108, 92), (70, 84, 74), (140, 132, 120), (54, 56, 66), (160, 150, 170))


@dataclass(frozen=True)
class FaceLook:
    face_width: float  # beside the face box's width
    jaw: float  # 0 an oval, 1 a square jaw
    skin: tuple
    hair_style: str
    hair_colour: tuple
    hair_volume: float
    eye_colour: tuple
    eye_spacing: float
    eye_size: float
    brow_thickness: float
    brow_tilt: float
    nose_length: float
    nose_width: float
    mouth_width: float
    lip_colour: tuple
    smile: float
    glasses: bool
    moustache: bool
    clothes: tuple


@dataclass(frozen=True)
class TracePose:
    angle: float  # degrees
    shift: tuple  # fractions of the portrait's side
    zoom: float
    light: tuple  # (brightness, contrast, (r, g, b) tint)
    background: tuple


def generator(label):
    return random.Random(int.from_bytes(hashlib.sha256(label.encode()).digest()[:16]))


def _near(rng, colour, spread):
    return tuple(min(255, max(0, round(channel + rng.gauss(0, spread)))) for channel in colour)


def _redrawn_features(look, rng):
    """The look with its nose, mouth and brows drawn again (and the rest left as it was)."""
    return replace(
        look,
        brow_thickness=rng.uniform(0.6, 1.4),
        brow_tilt=rng.uniform(-0.25, 0.25),
        nose_length=rng.uniform(0.8, 1.25),
        nose_width=rng.uniform(0.8, 1.3),
        mouth_width=rng.uniform(0.8, 1.2),
        smile=rng.uniform(-0.3, 1.0),
    )


def _lookalike(look, rng):
    """Someone who looks like `look`: the same hair, eyes and face, a little changed, and their own
    nose, mouth and brows."""
    return replace(
        _redrawn_features(look, rng),
        face_width=look.face_width + rng.choice((-1, 1)) * rng.uniform(0.04, 0.07),
        skin=_near(rng, look.skin, 10),
        hair_colour=_near(rng, look.hair_colour, 14),
        eye_size=look.eye_size * rng.uniform(0.88, 1.12),
    )


def _drawn_look(label, rng):
    woman = label in WOMEN
    look = FaceLook(
        face_width=rng.uniform(0.86, 1.04),
        jaw=rng.uniform(0, 0.4) if woman else rng.uniform(0.2, 1),
        skin=_near(rng, rng.choice(SKIN_TONES), 6),
        hair_style=rng.choice(WOMEN_HAIR if woman else MEN_HAIR),
        hair_colour=_near(rng, rng.choice(HAIR_COLOURS), 8),
        hair_volume=rng.uniform(0.7, 1.3),
        eye_colour=rng.choice(EYE_COLOURS),
        eye_spacing=rng.uniform(0.85, 1.15),
        eye_size=rng.uniform(0.85, 1.2),
        brow_thickness=0,
        brow_tilt=0,
        nose_length=0,
        nose_width=0,
        mouth_width=0,
        lip_colour=(178, 40, 52) if woman and rng.random() < 0.7 else None,
        smile=0,
        glasses=rng.random() < 0.12,
        moustache=not woman and rng.random() < 0.2,
        clothes=_near(rng, rng.choice(CLOTHES), 10),
    )
    return _redrawn_features(look, rng)


class Looks:
    """The look of each performer of a library (a cast member's key or an extra's label), drawn on demand."""

    def __init__(self, seed):
        self.seed = seed
        self.partners = {b: a for a, b in LOOKALIKES}
        self.by_label = {}

    def __getitem__(self, label):
        if label not in self.by_label:
            rng = generator(f"{self.seed}:look:{label}")
            partner = self.partners.get(label)
            if partner is None:
                self.by_label[label] = _drawn_look(label, rng)
            else:
                self.by_label[label] = _lookalike(self[partner], rng)
        return self.by_label[label]


def trace_pose_generator(seed, file_hex, trace_id):
    """The generator of a trace's pose and of its faces' jitter."""
    return generator(f"{seed}:pose:{file_hex}:{trace_id}")


def trace_pose(rng):
    return TracePose(
        angle=max(-8.0, min(8.0, rng.gauss(0, 3))),
        shift=(rng.uniform(-0.025, 0.025), rng.uniform(-0.02, 0.02)),
        zoom=rng.uniform(0.95, 1.05),
        light=(rng.uniform(0.75, 1.2), rng.uniform(0.8, 1.15), tuple(rng.uniform(0.94, 1.06) for _ in range(3))),
        background=_near(rng, rng.choice(BACKGROUNDS), 12),
    )


def _darker(colour, factor):
    return tuple(round(channel * factor) for channel in colour)


def _draw_hair_back(draw, look, box, s):
    x1, y1, x2, y2 = box
    w, h, volume = x2 - x1, y2 - y1, look.hair_volume
    if look.hair_style == "long":
        draw.rounded_rectangle(
            (x1 - 0.16 * w * volume, y1 - 0.1 * h, x2 + 0.16 * w * volume, y2 + 0.12 * h),
            radius=0.4 * w,
            fill=look.hair_colour,
        )
    elif look.hair_style == "bob":
        draw.rounded_rectangle(
            (x1 - 0.12 * w * volume, y1 - 0.1 * h, x2 + 0.12 * w * volume, y1 + 0.72 * h),
            radius=0.35 * w,
            fill=look.hair_colour,
        )
    elif look.hair_style == "updo":
        draw.ellipse((x1 + 0.2 * w, y1 - 0.38 * h * volume, x2 - 0.2 * w, y1 + 0.1 * h), fill=look.hair_colour)


def _draw_hair_top(draw, look, box, s):
    x1, y1, x2, y2 = box
    w, h, volume, colour = x2 - x1, y2 - y1, look.hair_volume, look.hair_colour
    top = y1 - 0.08 * h * volume
    if look.hair_style == "curly":
        for step in range(7):
            cx = x1 + w * (0.05 + 0.9 * step / 6)
            cy = top + 0.1 * h * (1 - math.sin(math.pi * step / 6)) + 0.04 * h
            r = 0.13 * w * volume
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    elif look.hair_style == "receding":
        draw.chord((x1 - 0.02 * w, top, x2 + 0.02 * w, y1 + 0.55 * h), 180, 360, fill=colour)
        draw.ellipse((x1 + 0.18 * w, y1 + 0.02 * h, x2 - 0.18 * w, y1 + 0.3 * h), fill=look.skin)
    elif look.hair_style != "bald":
        draw.chord((x1 - 0.03 * w, top, x2 + 0.03 * w, y1 + 0.5 * h), 180, 360, fill=colour)
        if look.hair_style == "parted":
            draw.line((x1 + 0.32 * w, top + 0.02 * h, x1 + 0.36 * w, y1 + 0.12 * h), fill=_darker(colour, 0.6), width=s)
        elif look.hair_style == "slick":
            draw.chord((x1 + 0.1 * w, top - 0.05 * h, x2 - 0.1 * w, y1 + 0.3 * h), 180, 360, fill=_darker(colour, 0.8))
        elif look.hair_style in ("long", "bob"):
            draw.pieslice((x1 - 0.05 * w, top, x2 - 0.3 * w, y1 + 0.5 * h), 180, 300, fill=colour)


def _draw_features(draw, look, box, s):
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    cx = (x1 + x2) / 2
    eye_y, eye_dx = y1 + 0.45 * h, 0.2 * w * look.eye_spacing
    eye_rx, eye_ry = 0.1 * w * look.eye_size, 0.055 * h * look.eye_size
    brow_colour = _darker(look.hair_colour, 0.8) if look.hair_colour[0] < 180 else (120, 92, 60)
    for side in (-1, 1):
        ex = cx + side * eye_dx
        draw.ellipse((ex - eye_rx, eye_y - eye_ry, ex + eye_rx, eye_y + eye_ry), fill=(245, 242, 236))
        iris = eye_ry * 0.95
        draw.ellipse((ex - iris, eye_y - iris, ex + iris, eye_y + iris), fill=look.eye_colour)
        pupil = iris * 0.45
        draw.ellipse((ex - pupil, eye_y - pupil, ex + pupil, eye_y + pupil), fill=(12, 10, 10))
        brow_y = eye_y - 0.11 * h
        inner, outer = ex - side * eye_rx * 1.1, ex + side * eye_rx * 1.2
        draw.line(
            (inner, brow_y + look.brow_tilt * 0.05 * h, outer, brow_y - look.brow_tilt * 0.05 * h),
            fill=brow_colour,
            width=max(1, round(0.035 * h * look.brow_thickness)),
        )
        if look.glasses:
            rim = eye_rx * 1.5
            draw.ellipse((ex - rim, eye_y - rim * 0.8, ex + rim, eye_y + rim * 0.8), outline=(30, 30, 34), width=s * 2)
    if look.glasses:
        draw.line(
            (cx - eye_dx + eye_rx * 1.5, eye_y, cx + eye_dx - eye_rx * 1.5, eye_y), fill=(30, 30, 34), width=s * 2
        )
    nose_top, nose_bottom = eye_y + 0.02 * h, eye_y + 0.2 * h * look.nose_length
    nose_half = 0.07 * w * look.nose_width
    shade = _darker(look.skin, 0.78)
    draw.line((cx, nose_top, cx - nose_half * 0.4, nose_bottom), fill=shade, width=s * 2)
    draw.line((cx - nose_half, nose_bottom, cx + nose_half, nose_bottom), fill=shade, width=s * 2)
    mouth_y, mouth_half = nose_bottom + 0.1 * h, 0.17 * w * look.mouth_width
    if look.moustache:
        draw.chord(
            (cx - mouth_half * 0.9, mouth_y - 0.08 * h, cx + mouth_half * 0.9, mouth_y + 0.02 * h),
            180,
            360,
            fill=_darker(look.hair_colour, 0.9),
        )
    lips = look.lip_colour or _darker(look.skin, 0.7)
    curve = 0.06 * h * look.smile
    draw.chord(
        (cx - mouth_half, mouth_y - 0.03 * h - max(curve, 0), cx + mouth_half, mouth_y + 0.03 * h + abs(curve)),
        0 if curve >= 0 else 180,
        180 if curve >= 0 else 360,
        fill=lips,
    )


def lit(rgb, light):
    """An (h, w, 3) array of colours under the light (brightness, contrast and tint), as bytes."""
    brightness, contrast, tint = light
    return np.clip(((rgb - 128) * contrast + 128) * (brightness * np.array(tint)), 0, 255).astype(np.uint8)


def _light_table(light):
    """`lit` as a lookup table for Image.point, a band after the other."""
    return lit(np.repeat(np.arange(256, dtype=np.float32)[:, None], 3, axis=1), light).T.ravel().tolist()


def _drawing(look):
    """The look on a transparent square of DRAWING_SIZE, its face box at FACE_BOX."""
    s, side = STROKE, DRAWING_SIZE
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    box = tuple(fraction * side for fraction in FACE_BOX)
    x1, y1, x2, y2 = box
    cx, cy, half_w, half_h = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2 * look.face_width, (y2 - y1) / 2
    box = (cx - half_w, y1, cx + half_w, y2)
    draw.ellipse((cx - 2.6 * half_w, y2 + 0.15 * half_h, cx + 2.6 * half_w, y2 + 3 * half_h), fill=look.clothes)
    draw.rectangle(
        (cx - 0.35 * half_w, cy + 0.6 * half_h, cx + 0.35 * half_w, cy + 1.35 * half_h), fill=_darker(look.skin, 0.85)
    )
    _draw_hair_back(draw, look, box, s)
    for ear in (-1, 1):
        ex = cx + ear * half_w
        draw.ellipse(
            (ex - 0.18 * half_w, cy - 0.2 * half_h, ex + 0.18 * half_w, cy + 0.15 * half_h),
            fill=_darker(look.skin, 0.92),
        )
    draw.rounded_rectangle(box, radius=half_w * (1 - 0.55 * look.jaw), fill=look.skin)
    if look.jaw < 0.3:
        draw.ellipse(box, fill=look.skin)
    _draw_hair_top(draw, look, box, s)
    _draw_features(draw, look, box, s)
    return image


class Drawings:
    """Each look drawn once, at DRAWING_SIZE and at halves of it, with its colours premultiplied
    by their opacity (as posing and compositing want them)."""

    def __init__(self, looks):
        self.looks = looks
        self.by_label = {}

    def __getitem__(self, label):
        if label not in self.by_label:
            levels = [_drawing(self.looks[label]).convert("RGBa")]
            while levels[-1].width > DRAWING_SIZE // 8:
                levels.append(levels[-1].reduce(2))
            self.by_label[label] = levels[::-1]
        return self.by_label[label]


def _transformed(levels, pose, *, unit, size, centre):
    unit_x, unit_y = unit
    level = next((image for image in levels if image.width >= max(unit_x, unit_y)), levels[-1])
    side = level.width
    x1, y1, x2, y2 = FACE_BOX
    shift_x, shift_y = pose.shift
    centre_x, centre_y = ((x1 + x2) / 2 - shift_x) * side, ((y1 + y2) / 2 - shift_y) * side
    out_x, out_y = centre or (size[0] / 2, size[1] / 2)
    cos, sin = math.cos(math.radians(pose.angle)), math.sin(math.radians(pose.angle))
    kx, ky = side / (unit_x * pose.zoom), side / (unit_y * pose.zoom)
    a, b, d, e = kx * cos, kx * sin, -ky * sin, ky * cos
    data = (a, b, centre_x - a * out_x - b * out_y, d, e, centre_y - d * out_x - e * out_y)
    return level.transform(size, Image.AFFINE, data, resample=Image.BILINEAR)


def posed_face(levels, pose, *, unit, size, centre=None):
    """The drawing turned, moved and zoomed by the pose, as an (h, w, 4) array of premultiplied
    colours and opacity of `size` (width, height), the face box centred at `centre` (x, y; the
    middle by default); `unit` (x, y) is the output pixels a whole drawing's side spans, so the
    face box is FACE_BOX's share of it."""
    return np.asarray(_transformed(levels, pose, unit=unit, size=size, centre=centre), dtype=np.float32)


def over(background, face):
    """The premultiplied face composited over the (h, w, 3) background of the same size."""
    return face[..., :3] + background * (1 - face[..., 3:] / 255)


def crop_side(face_height):
    """A face's crop side in pixels: as high as the face is on screen, at most CROP_SIZE."""
    return max(MIN_CROP_SIZE, min(CROP_SIZE, round(face_height * CROP_SCALE)))


def crop_margin(side):
    """How far a face's crop may wander from its trace's portrait centre (the detector's box wobbles)."""
    return max(1, round(side * 0.02))


def trace_portrait(levels, pose, *, side):
    """A trace's portrait: its face posed on its background and lit, `side` plus a margin each
    way, from which each face's crop is cut (with Pillow's operations on bytes: a third of the
    time of `posed_face`'s arrays, for the library's 10k traces)."""
    size = side + 2 * crop_margin(side)
    unit = side / ((FACE_BOX[3] - FACE_BOX[1]) * CROP_SCALE)
    face = _transformed(levels, pose, unit=(unit, unit), size=(size, size), centre=None).convert("RGBA")
    portrait = Image.new("RGB", face.size, pose.background)
    portrait.paste(face, (0, 0), face)
    return portrait.point(_light_table(pose.light))


def face_crop(portrait, rng, *, side):
    """The JPEG bytes of one face's crop: a `side` square of its trace's portrait, a little off centre."""
    margin = crop_margin(side)
    x, y = margin + rng.randint(-margin, margin), margin + rng.randint(-margin, margin)
    buffer = io.BytesIO()
    portrait.crop((x, y, x + side, y + side)).save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()
