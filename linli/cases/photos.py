"""Photos of a case: at most a few, each a real JPEG/PNG/WebP image (Pillow opens and
verifies it; the file name and the browser's content type are not trusted) of bounded size."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from .models import Photo

MAX_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 6
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
Image.MAX_IMAGE_PIXELS = 50_000_000  # decompression bombs raise instead of eating memory


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several image files (the pattern from Django's file-upload documentation)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS})
        return [check_image(super(PhotosField, self).clean(f, initial)) for f in files]


def check_image(upload):
    if upload.size > MAX_BYTES:
        raise ValidationError(_("照片“%(n)s”超过 8 MB。") % {"n": upload.name})
    try:
        with Image.open(upload) as img:
            kind = img.format
            img.verify()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ValidationError(_("“%(n)s”不是有效的图片。") % {"n": upload.name}) from exc
    if kind not in FORMATS:
        raise ValidationError(_("照片只支持 JPEG、PNG、WebP 格式。"))
    upload.seek(0)
    upload.name = f"photo.{FORMATS[kind]}"  # never the uploader's file name
    return upload


def save_photos(case, files, stage: str = "reported") -> None:
    for f in files:
        Photo.objects.create(case=case, image=f, stage=stage)
