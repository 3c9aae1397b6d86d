from django.urls import path

from attachments.api import views

urlpatterns = [
    path("attachments", views.AttachmentUploadView.as_view(), name="attachments"),
    path("me/avatar", views.AvatarView.as_view(), name="me-avatar"),
]
