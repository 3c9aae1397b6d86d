"""`/media/`: files only through the permission check (no MEDIA_URL static serving)."""

from django.urls import path, re_path

from attachments import views

urlpatterns = [
    re_path(
        r"^media/(?P<attachment_id>[0-9]{1,19})/(?P<variant>original|thumbnail)\Z",
        views.MediaFileView.as_view(),
        name="media-file",
    ),
    path(
        "media/avatars/<str:username>/<str:version>",
        views.AvatarFileView.as_view(),
        name="avatar",
    ),
]
