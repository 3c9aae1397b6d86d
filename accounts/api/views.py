"""Accounts API: parse input, call one service, serialize the answer."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import (
    AuthResultSerializer,
    LoginSerializer,
    MeSerializer,
    MeUpdateSerializer,
    PhoneStartSerializer,
    PhoneStatusSerializer,
    PhoneVerifySerializer,
    RegisterSerializer,
)
from dmsite.fields import request_data


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def auth_result(user, token: str, request) -> dict:
    return {"token": token, "user": MeSerializer(user, context={"request": request}).data}


class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=RegisterSerializer, responses={201: AuthResultSerializer})
    def post(self, request):
        data = request_data(RegisterSerializer, request)
        user, token = services.user_register(**data, ip=client_ip(request))
        return Response(auth_result(user, token, request), status=status.HTTP_201_CREATED)


class LoginView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=LoginSerializer, responses={200: AuthResultSerializer})
    def post(self, request):
        data = request_data(LoginSerializer, request)
        user, token = services.user_login(**data, ip=client_ip(request), request=request)
        return Response(auth_result(user, token, request))


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.user_logout(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """Own profile. The messaging app serves it with its own fields added (`me_data`)."""

    def me_data(self, user) -> dict:
        return MeSerializer(user).data

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(self.me_data(request.user))

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer)
    def patch(self, request):
        data = request_data(MeUpdateSerializer, request)
        user = services.user_update(user=request.user, **data)
        return Response(self.me_data(user))

    @extend_schema(responses={204: None})
    def delete(self, request):
        services.user_deactivate(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhoneView(APIView):
    @extend_schema(
        request=PhoneStartSerializer,
        responses={202: PhoneStatusSerializer, 200: PhoneStatusSerializer},
        description="Send a 6-digit code to the number. 200 and no code when the number "
        "is already this account's verified number.",
    )
    def post(self, request):
        data = request_data(PhoneStartSerializer, request)
        sent = services.phone_verification_start(user=request.user, **data)
        user = request.user
        body = {"phone_number": user.phone_number, "phone_verified": user.phone_verified}
        return Response(body, status=status.HTTP_202_ACCEPTED if sent else status.HTTP_200_OK)


class PhoneVerifyView(APIView):
    @extend_schema(request=PhoneVerifySerializer, responses=PhoneStatusSerializer)
    def post(self, request):
        data = request_data(PhoneVerifySerializer, request)
        user = services.phone_verification_confirm(user=request.user, **data)
        return Response({"phone_number": user.phone_number, "phone_verified": True})
