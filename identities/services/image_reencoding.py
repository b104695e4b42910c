"""Profile images decoded and encoded again by Pillow, so that only their pixels are kept.

Uploads and the TMDb probe's downloads come through `reencode_profile_image` (by way of
`images.clean_profile_image`): a file is stored only as Pillow writes it, never byte for byte.
"""
import io

from django.conf import settings
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from momentry.core.errors import ApplicationError, TooLarge

# JPEG at this quality is visually lossless for a portrait; PNG is lossless anyway.
PROFILE_JPEG_QUALITY = 90
SRGB = ImageCms.createProfile("sRGB")


def image_too_large(message):
    return TooLarge(message, code="image_too_large")


def reencode_profile_image(data, pillow_format):
    """The image (`JPEG` or `PNG` bytes) decoded and encoded again by Pillow in the same format.

    Its EXIF orientation is applied to the pixels; EXIF (GPS included), XMP, the ICC profile
    (colours are converted to sRGB first), text chunks and any bytes after the image's end (a
    JPEG+HTML polyglot) are dropped. Refused with a 413 `image_too_large` over
    MOMENTRY_PROFILE_IMAGE_MAX_PIXELS, read from the header before anything is decoded (and so
    for a decompression bomb), and with a 400 `invalid_image` when it cannot be decoded.
    """
    max_pixels = settings.MOMENTRY_PROFILE_IMAGE_MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise image_too_large(f"The image is {width}x{height} pixels; the limit is {max_pixels} pixels.")
            image.load()
            pixels = _pixels_only(image, pillow_format)
    except Image.DecompressionBombError as exc:
        raise image_too_large(f"The image decompresses to too many pixels: {exc}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ApplicationError(f"The {pillow_format} image is corrupt or truncated.", code="invalid_image") from None
    output = io.BytesIO()
    try:
        if pillow_format == "JPEG":
            pixels.save(output, format="JPEG", quality=PROFILE_JPEG_QUALITY, optimize=True)
        else:
            pixels.save(output, format="PNG")
    except (OSError, ValueError):  # a mode Pillow decodes but cannot write in this format
        raise ApplicationError(
            f"The {pillow_format} image decodes but cannot be stored again; send an 8-bit RGB or greyscale image.",
            code="invalid_image",
        ) from None
    return output.getvalue()


def _pixels_only(image, pillow_format):
    """A new image of the decoded image's pixels, upright and in sRGB, carrying no metadata."""
    try:
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError):  # unreadable EXIF: keep it as stored
        upright = image.copy()
    if "transparency" in image.info:  # palette or colour-key transparency lives in `info`, which goes
        upright = upright.convert("RGBA")
    upright = _in_srgb(upright, image.info.get("icc_profile"))
    if pillow_format == "JPEG" and upright.mode not in ("L", "RGB"):
        upright = upright.convert("RGB")
    upright.info = {}
    return upright


def _in_srgb(image, icc_profile):
    """The image's colours converted from its embedded ICC profile to sRGB, so the profile can go;
    unchanged when there is none, or when it cannot be applied to the image."""
    if not icc_profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(image.convert("RGB") if alpha else image, source, SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    if alpha is not None:
        converted.putalpha(alpha)
    return converted
