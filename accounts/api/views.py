"""Accounts API: parse input, call one service, serialize the answer."""

from django.contrib.auth import logout, update_session_auth_hash
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import (
    AuthResultSerializer,
    DeviceSessionSerializer,
    LoginSerializer,
    MeSerializer,
    MeUpdateSerializer,
    PasswordChangeSerializer,
    PasswordConfirmSerializer,
    PhoneStartSerializer,
    PhoneStatusSerializer,
    PhoneVerifySerializer,
    RegisterSerializer,
)
from accounts.models import DeviceToken
from accounts.sessions import Credential, session_credential, token_credential
from accounts.tokens import tokens_of
from dmsite.addresses import client_ip
from dmsite.fields import request_data


def device_name(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:200]


def request_credential(request) -> Credential | None:
    """What this request authenticated with: its API token, or its browser session."""
    if isinstance(request.auth, DeviceToken):
        return token_credential(request.auth)
    return session_credential(request.session)


def auth_result(user, token: str, request) -> dict:
    return {"token": token, "user": MeSerializer(user, context={"request": request}).data}


class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=RegisterSerializer, responses={201: AuthResultSerializer})
    def post(self, request):
        data = request_data(RegisterSerializer, request)
        user, token = services.user_register(
            **data, ip=client_ip(request), device=device_name(request)
        )
        return Response(auth_result(user, token, request), status=status.HTTP_201_CREATED)


class LoginView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=LoginSerializer, responses={200: AuthResultSerializer})
    def post(self, request):
        data = request_data(LoginSerializer, request)
        user, token = services.user_login(
            **data, ip=client_ip(request), request=request, device=device_name(request)
        )
        return Response(auth_result(user, token, request))


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        """End this device only: its token (or session) and the sockets it opened."""
        credential = request_credential(request)
        if credential is not None:
            services.user_logout(user=request.user, credential=credential)
        if credential is None or credential.kind == "session":
            logout(request)
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

    @extend_schema(request=PasswordConfirmSerializer, responses={204: None})
    def delete(self, request):
        """Deactivate my account; my password is asked again."""
        data = request_data(PasswordConfirmSerializer, request)
        services.user_deactivate(user=request.user, password=data["password"], check_password=True)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordView(APIView):
    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        """Change my password; every other device's token and session ends."""
        data = request_data(PasswordChangeSerializer, request)
        credential = request_credential(request)
        services.password_change(user=request.user, **data, keep=credential)
        if credential is not None and credential.kind == "session":
            update_session_auth_hash(request, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionsView(APIView):
    @extend_schema(responses=DeviceSessionSerializer(many=True))
    def get(self, request):
        """My signed-in devices (API tokens), newest first."""
        current = request.auth.pk if isinstance(request.auth, DeviceToken) else None
        rows = [
            {
                "id": token.pk,
                "name": token.name,
                "created": token.created,
                "expiry": token.expiry,
                "current": token.pk == current,
            }
            for token in tokens_of(user=request.user)
        ]
        return Response(DeviceSessionSerializer(rows, many=True).data)


class SessionView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, token_id: int):
        """Log one of my devices out (this one too, if it names itself)."""
        services.token_revoke(user=request.user, token_id=token_id)
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
