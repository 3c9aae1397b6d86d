from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from dmsite.fields import request_data
from moderation import services
from moderation.api.serializers import ReportCreateSerializer, ReportSerializer


class ReportCreateView(APIView):
    @extend_schema(
        request=ReportCreateSerializer,
        responses={201: ReportSerializer, 200: ReportSerializer},
        description="Report a message, conversation or user you can see; `block: true` "
        "also blocks the person reported. Reporting the same thing again answers 200.",
    )
    def post(self, request):
        data = request_data(ReportCreateSerializer, request)
        report, created = services.report_create(reporter=request.user, **data)
        return Response(
            ReportSerializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
