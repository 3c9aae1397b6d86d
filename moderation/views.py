"""Evidence files, for moderators only (everyone else: 404, as if there were none)."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from attachments.serving import file_response
from moderation.models import ReportFile


def evidence_file(request, file_id: int):
    """Who may open the admin's report page may open its files: staff with the right to
    view reports, signed in with their second factor (django-otp), as the admin asks."""
    user = request.user
    verified = getattr(user, "is_verified", lambda: False)()
    if not (
        user.is_active and user.is_staff and verified and user.has_perm("moderation.view_report")
    ):
        raise Http404
    evidence = get_object_or_404(ReportFile, pk=file_id)
    return file_response(request, evidence.file.name, evidence.content_type)
