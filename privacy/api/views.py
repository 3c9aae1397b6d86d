"""Profiles, search, follows, blocks and privacy settings: parse, call, serialize."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dmsite.fields import query_params, request_data
from dmsite.pagination import NewestFirstPagination, SearchPagination, UsernamePagination
from privacy import selectors, services
from privacy.api.serializers import (
    PrivacySettingsSerializer,
    PrivacySettingsUpdateSerializer,
    ProfileSerializer,
    UserSearchQuerySerializer,
    UserSummarySerializer,
)


def profile_data(*, viewer, user) -> dict:
    relationship = selectors.relationship_between(viewer=viewer, user=user)
    return {
        "username": user.username,
        "display_name": user.display_name,
        "avatar_url": user.avatar_url,
        "bio": user.bio,
        **selectors.follow_counts(viewer=viewer, user=user),
        "relationship": {
            "following": relationship.following,
            "followed_by": relationship.followed_by,
            "friends": relationship.friends,
            "blocked": relationship.blocked,
        },
        "message_button": relationship.message_button,
    }


class UserSearchView(generics.ListAPIView):
    serializer_class = UserSummarySerializer
    pagination_class = SearchPagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "search",
                {"type": "string", "minLength": 1, "maxLength": 50},
                required=True,
                description="Part of a username or display name.",
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = query_params(UserSearchQuerySerializer, self.request)["search"]
        return selectors.user_search(viewer=self.request.user, query=query)


class ProfileView(APIView):
    @extend_schema(responses=ProfileSerializer)
    def get(self, request, username):
        user = selectors.user_get_visible(viewer=request.user, username=username)
        return Response(profile_data(viewer=request.user, user=user))


class _FollowListView(generics.ListAPIView):
    serializer_class = UserSummarySerializer
    pagination_class = NewestFirstPagination
    side = ""  # which end of the Follow row to list

    def get_queryset(self):
        user = selectors.user_get_visible(
            viewer=self.request.user, username=self.kwargs["username"]
        )
        if self.side == "follower":
            return selectors.followers_of(viewer=self.request.user, user=user)
        return selectors.following_of(viewer=self.request.user, user=user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        users = [getattr(follow, self.side) for follow in page]
        return self.get_paginated_response(UserSummarySerializer(users, many=True).data)


class FollowersView(_FollowListView):
    side = "follower"


class FollowingView(_FollowListView):
    side = "followee"


class FollowView(APIView):
    @extend_schema(request=None, responses={201: ProfileSerializer, 200: ProfileSerializer})
    def post(self, request, username):
        user = selectors.user_get_visible(viewer=request.user, username=username)
        created = services.follow_create(follower=request.user, followee=user)
        return Response(
            profile_data(viewer=request.user, user=user),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(responses={204: None})
    def delete(self, request, username):
        user = selectors.user_get_visible(viewer=request.user, username=username)
        services.follow_delete(follower=request.user, followee=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlockView(APIView):
    @extend_schema(request=None, responses={201: None, 200: None})
    def post(self, request, username):
        user = selectors.user_get_blockable(viewer=request.user, username=username)
        created = services.block_create(blocker=request.user, blocked=user)
        body = {"username": user.username, "blocked": True}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses={204: None})
    def delete(self, request, username):
        user = selectors.user_get_blockable(viewer=request.user, username=username)
        services.block_delete(blocker=request.user, blocked=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyBlocksView(generics.ListAPIView):
    serializer_class = UserSummarySerializer
    pagination_class = NewestFirstPagination

    def get_queryset(self):
        return selectors.blocks_of(user=self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        users = [block.blocked for block in page]
        return self.get_paginated_response(UserSummarySerializer(users, many=True).data)


class MyFriendsView(generics.ListAPIView):
    serializer_class = UserSummarySerializer
    pagination_class = UsernamePagination

    def get_queryset(self):
        return selectors.friends_of(user=self.request.user)


class PrivacySettingsView(APIView):
    @extend_schema(responses=PrivacySettingsSerializer)
    def get(self, request):
        current = selectors.privacy_settings_for(request.user)
        return Response(PrivacySettingsSerializer(current).data)

    @extend_schema(request=PrivacySettingsUpdateSerializer, responses=PrivacySettingsSerializer)
    def patch(self, request):
        data = request_data(PrivacySettingsUpdateSerializer, request)
        updated = services.privacy_settings_update(user=request.user, **data)
        return Response(PrivacySettingsSerializer(updated).data)
