"""Conversations and messages API: parse input, call one service or selector, serialize."""

from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import MeSerializer
from accounts.api.views import MeView as AccountsMeView
from attachments.selectors import attachments_load
from dmsite.errors import InvalidInput, PermissionDeniedError
from dmsite.fields import query_params, request_data
from dmsite.pagination import NewestFirstPagination
from messaging import export, groups, reactions, selectors, services
from messaging.api.serializers import (
    ConversationOpenSerializer,
    ConversationSerializer,
    ConversationUpdateSerializer,
    FolderQuerySerializer,
    MembersAddSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    MessageToSerializer,
    MyReactionSerializer,
    ReactionSetSerializer,
    ReadSerializer,
)
from messaging.models import Folder, MemberState
from messaging.policy import dm_decision, dm_decisions, sender_denial
from messaging.shapes import message_shape
from privacy.api.serializers import ProfileSerializer
from privacy.api.views import ProfileView as PrivacyProfileView
from privacy.api.views import profile_data
from privacy.selectors import request_contexts, user_get_visible


class InboxPagination(NewestFirstPagination):
    ordering = "-inbox_key"
    position_is_integer = False


def conversation_data(participants, viewer) -> list[dict] | dict:
    """Serialize one participant or a page of them; the policy and members in bulk."""
    many = isinstance(participants, list)
    page = participants if many else [participants]
    direct = [participant.other for participant in page if participant.other_id is not None]
    groups = [participant.conversation_id for participant in page if participant.other_id is None]
    senders = [
        p.other
        for p in page
        if p.other_id is not None and p.folder in (Folder.REQUESTS, Folder.FILTERED)
    ]
    context = {
        "request_contexts": request_contexts(viewer=viewer, senders=senders),
        "decisions": dm_decisions(viewer, direct) if direct else {},
        "members": selectors.group_members(groups),
        "placeholder_senders": selectors.blocked_ids(user=viewer) if groups else set(),
        "can_send_groups": sender_denial(viewer) is None if groups else False,
    }
    attachments_load(participant.conversation.last_message for participant in page)
    serializer = ConversationSerializer(page, many=True, context=context)
    return serializer.data if many else serializer.data[0]


def _history_context(participant) -> dict:
    """How messages look to this side: `seen` (direct), placeholders (groups)."""
    if participant.other_id is None:
        return {
            "viewer_id": participant.user_id,
            "placeholder_senders": selectors.blocked_ids(user=participant.user),
        }
    return {
        "viewer_id": participant.user_id,
        "seen_up_to": selectors.seen_up_to(participant=participant),
    }


def _participant(request, conversation_id: int):
    return selectors.participant_get(user=request.user, conversation_id=conversation_id)


class ConversationListView(generics.GenericAPIView):
    pagination_class = InboxPagination
    serializer_class = ConversationSerializer

    @extend_schema(
        parameters=[OpenApiParameter("folder", str, enum=["inbox", "requests", "filtered"])],
        responses=ConversationSerializer(many=True),
    )
    def get(self, request):
        folder = query_params(FolderQuerySerializer, request)["folder"]
        queryset = selectors.conversation_list_for_user(user=request.user, folder=folder)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(conversation_data(list(page), request.user))

    @extend_schema(
        request=ConversationOpenSerializer,
        responses={200: ConversationSerializer, 201: ConversationSerializer},
    )
    def post(self, request):
        data = request_data(ConversationOpenSerializer, request)
        if "usernames" in data:
            participant = groups.group_create(
                creator=request.user, usernames=data["usernames"], title=data.get("title")
            )
            participant = _participant(request, participant.conversation_id)
            return Response(
                conversation_data(participant, request.user), status=status.HTTP_201_CREATED
            )
        other = user_get_visible(viewer=request.user, username=data["username"])
        participant, created = services.conversation_open(user=request.user, other=other)
        participant = _participant(request, participant.conversation_id)
        return Response(
            conversation_data(participant, request.user),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ConversationDetailView(APIView):
    @extend_schema(responses=ConversationSerializer)
    def get(self, request, conversation_id):
        return Response(conversation_data(_participant(request, conversation_id), request.user))

    @extend_schema(request=ConversationUpdateSerializer, responses=ConversationSerializer)
    def patch(self, request, conversation_id):
        changes = request_data(ConversationUpdateSerializer, request)
        participant = _participant(request, conversation_id)
        title = changes.pop("title", None)
        if title is not None:
            if participant.other_id is not None:
                raise InvalidInput(
                    "Only a group has a title.", fields={"title": ["Only a group has a title."]}
                )
            participant = groups.group_rename(
                actor=request.user, participant=participant, title=title
            )
        participant = services.conversation_update(participant=participant, **changes)
        return Response(conversation_data(participant, request.user))

    @extend_schema(responses={204: None})
    def delete(self, request, conversation_id):
        participant = _participant(request, conversation_id)
        if participant.state == MemberState.INVITED:
            groups.group_invitation_decline(participant=participant)
        else:
            services.conversation_hide(participant=participant)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationAcceptView(APIView):
    @extend_schema(request=None, responses=ConversationSerializer)
    def post(self, request, conversation_id):
        participant = _participant(request, conversation_id)
        if participant.other_id is None:
            groups.group_invitation_accept(participant=participant)
            participant = _participant(request, conversation_id)
        else:
            participant = services.conversation_accept(participant=participant)
        return Response(conversation_data(participant, request.user))


class ConversationMembersView(APIView):
    @extend_schema(request=MembersAddSerializer, responses=ConversationSerializer)
    def post(self, request, conversation_id):
        usernames = request_data(MembersAddSerializer, request)["usernames"]
        groups.group_members_add(
            adder=request.user, conversation_id=conversation_id, usernames=usernames
        )
        return Response(conversation_data(_participant(request, conversation_id), request.user))


class ConversationMemberView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, conversation_id, username):
        _participant(request, conversation_id)
        groups.group_member_remove(
            actor=request.user, conversation_id=conversation_id, username=username
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationReadView(APIView):
    @extend_schema(request=ReadSerializer, responses=ConversationSerializer)
    def post(self, request, conversation_id):
        up_to = request_data(ReadSerializer, request)["up_to"]
        participant = services.conversation_mark_read(
            participant=_participant(request, conversation_id), up_to=up_to
        )
        return Response(conversation_data(participant, request.user))


class ConversationMessagesView(generics.GenericAPIView):
    pagination_class = NewestFirstPagination
    serializer_class = MessageSerializer

    @extend_schema(responses=MessageSerializer(many=True))
    def get(self, request, conversation_id):
        participant = _participant(request, conversation_id)
        if participant.state == MemberState.INVITED:
            raise PermissionDeniedError("Join the group to see its messages.")
        page = self.paginate_queryset(selectors.message_history(participant=participant))
        attachments_load(page)
        context = _history_context(participant)
        return self.get_paginated_response(MessageSerializer(page, many=True, context=context).data)

    @extend_schema(
        request=MessageCreateSerializer, responses={201: MessageSerializer, 200: MessageSerializer}
    )
    def post(self, request, conversation_id):
        data = request_data(MessageCreateSerializer, request)
        participant = _participant(request, conversation_id)
        message, created = services.message_send(
            sender=request.user,
            recipient=participant.other,
            conversation=participant.conversation,
            body=data.get("body"),
            client_id=data.get("client_id"),
            attachments=data.get("attachments"),
            reply_to=data.get("reply_to"),
        )
        return _sent(message, created)


def _sent(message, created: bool) -> Response:
    """The sender's view of the message just sent (or found again by its client_id)."""
    return Response(
        message_shape(message, viewer_id=message.sender_id, seen_up_to=message.seen_up_to),
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


class MessageSendView(APIView):
    @extend_schema(
        request=MessageToSerializer, responses={201: MessageSerializer, 200: MessageSerializer}
    )
    def post(self, request):
        data = request_data(MessageToSerializer, request)
        message, created = services.message_send(
            sender=request.user,
            to=data["to"],
            body=data.get("body"),
            client_id=data.get("client_id"),
            attachments=data.get("attachments"),
            reply_to=data.get("reply_to"),
        )
        return _sent(message, created)


class MessageDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, message_id):
        services.message_unsend(user=request.user, message_id=message_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeExportView(APIView):
    """My data as a zip, streamed (SPEC section 12); RATE_EXPORTS, one at a time."""

    @extend_schema(
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
        description="A zip of profile.json and conversations/<id>.json, streamed.",
    )
    def get(self, request):
        chunks = export.export_start(user=request.user)
        streamed = (
            export.export_async(chunks) if isinstance(request._request, ASGIRequest) else chunks
        )
        response = StreamingHttpResponse(streamed, content_type="application/zip")
        response["Content-Disposition"] = (
            f'attachment; filename="{export.export_filename(request.user)}"'
        )
        response["Cache-Control"] = "private, no-store"
        return response


class MessageReactionView(APIView):
    @extend_schema(request=ReactionSetSerializer, responses=MyReactionSerializer)
    def put(self, request, message_id):
        emoji = request_data(ReactionSetSerializer, request)["emoji"]
        reaction = reactions.reaction_set(user=request.user, message_id=message_id, emoji=emoji)
        return Response(MyReactionSerializer(reaction).data)

    @extend_schema(responses={204: None})
    def delete(self, request, message_id):
        reactions.reaction_remove(user=request.user, message_id=message_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeWithMessagingSerializer(MeSerializer):
    dm_enabled = serializers.BooleanField(help_text="False while you cannot message anyone.")
    unread_total = serializers.IntegerField(help_text="Unread in the inbox, muted not counted.")

    class Meta(MeSerializer.Meta):
        fields = [*MeSerializer.Meta.fields, "dm_enabled", "unread_total"]
        read_only_fields = fields


class MeView(AccountsMeView):
    """`me` with the messaging state: whether I can send at all, and my unread total."""

    def me_data(self, user) -> dict:
        return {
            **super().me_data(user),
            "dm_enabled": sender_denial(user) is None,
            "unread_total": selectors.unread_total(user=user),
        }

    @extend_schema(responses=MeWithMessagingSerializer)
    def get(self, request):
        return super().get(request)


class CanMessageSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    code = serializers.CharField(allow_null=True)


class ProfileWithMessagingSerializer(ProfileSerializer):
    can_message = CanMessageSerializer()


class ProfileView(PrivacyProfileView):
    """A public profile with `can_message`, as the DM policy decides it right now."""

    @extend_schema(responses=ProfileWithMessagingSerializer)
    def get(self, request, username):
        user = user_get_visible(viewer=request.user, username=username)
        decision = dm_decision(request.user, user)
        return Response(
            {
                **profile_data(viewer=request.user, user=user),
                "can_message": {"allowed": decision.allowed, "code": decision.code},
            }
        )
