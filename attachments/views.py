"""`/media/…`: every stored file goes out through here, after the permission check."""

from drf_spectacular.utils import extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from attachments.selectors import attachment_get_for_viewer
from attachments.serving import file_response
from dmsite.errors import NotFound
from privacy.selectors import user_get_visible


class _AnyAccept(BaseContentNegotiation):
    """A file is a file whatever `Accept` says (an <img> asks for image/*); errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return JSONRenderer(), JSONRenderer.media_type


class MediaFileView(APIView):
    content_negotiation_class = _AnyAccept

    @extend_schema(responses={(200, "*/*"): bytes, (206, "*/*"): bytes})
    def get(self, request, attachment_id: str, variant: str):
        attachment = attachment_get_for_viewer(
            viewer=request.user, attachment_id=int(attachment_id)
        )
        if variant == "thumbnail":
            name, content_type = attachment.thumbnail.name, attachment.thumbnail_content_type
        else:
            name, content_type = attachment.original.name, attachment.content_type
        if not name:
            raise NotFound("No such file.")
        return file_response(request, name, content_type)


class AvatarFileView(APIView):
    """A profile photo: to any signed-in user who may see that profile (blocked: 404)."""

    content_negotiation_class = _AnyAccept

    @extend_schema(responses={(200, "image/webp"): bytes})
    def get(self, request, username: str, version: str):
        user = user_get_visible(viewer=request.user, username=username)
        if not user.avatar:
            raise NotFound("No profile photo.")
        return file_response(request, user.avatar.name, "image/webp")
