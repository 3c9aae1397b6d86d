from django.urls import path

from moderation import views

urlpatterns = [
    path("media/evidence/<int:file_id>", views.evidence_file, name="evidence-file"),
]
