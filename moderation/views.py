"""Evidence files, for moderators only (everyone else: 404, as if there were none)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from attachments.serving import file_response
from moderation.models import ReportFile


@staff_member_required
def evidence_file(request, file_id: int):
    if not request.user.has_perm("moderation.view_report"):
        raise Http404
    evidence = get_object_or_404(ReportFile, pk=file_id)
    return file_response(request, evidence.file.name, evidence.content_type)
