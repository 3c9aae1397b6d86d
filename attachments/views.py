"""`/media/…`: every stored file goes out through here, after the permission check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from attachments import services
from attachments.errors import file_too_large
from attachments.selectors import attachment_get_for_viewer
from attachments.serving import file_response
from attachments.uploads import body_too_large, upload_handlers
from dmsite.errors import ApiError, InvalidInput, NotFound
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


@csrf_exempt  # checked below, once the upload handlers are in place
@login_required
@require_POST
def avatar_page_upload(request):
    """The profile page's "Save photo" (no JavaScript needed): same service as the API."""
    request.upload_handlers = upload_handlers(request)
    return _avatar_page_upload(request)


@csrf_protect
def _avatar_page_upload(request):
    try:
        if body_too_large(request.META.get("CONTENT_LENGTH")):
            raise file_too_large()
        files = request.FILES.getlist("file")
        if len(files) != 1:
            raise InvalidInput("Choose one photo.")
        services.avatar_set(user=request.user, file=files[0])
    except ApiError as error:
        messages.error(request, str(error.detail))
    return redirect("messaging:profile", request.user.username)


@login_required
@require_POST
def avatar_page_delete(request):
    services.avatar_delete(user=request.user)
    return redirect("messaging:profile", request.user.username)
