"""Uploads: `POST attachments`, `PUT / DELETE me/avatar` (multipart, one `file`)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from attachments import services
from attachments.api.serializers import AttachmentSerializer, UploadSerializer
from attachments.selectors import attachment_data
from attachments.uploads import UploadParser, the_one_file


class AttachmentUploadView(APIView):
    parser_classes = [UploadParser]

    @extend_schema(
        request={"multipart/form-data": UploadSerializer}, responses={201: AttachmentSerializer}
    )
    def post(self, request):
        attachment = services.attachment_create(uploader=request.user, file=the_one_file(request))
        return Response(attachment_data(attachment), status=status.HTTP_201_CREATED)


class AvatarView(APIView):
    parser_classes = [UploadParser]

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={200: inline_serializer("AvatarUrl", {"avatar_url": serializers.CharField()})},
    )
    def put(self, request):
        user = services.avatar_set(user=request.user, file=the_one_file(request))
        return Response({"avatar_url": user.avatar_url})

    @extend_schema(responses={204: None})
    def delete(self, request):
        services.avatar_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
