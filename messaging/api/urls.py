from django.urls import path

from messaging.api import views

urlpatterns = [
    path("me", views.MeView.as_view(), name="me"),
    path("me/export", views.MeExportView.as_view(), name="me-export"),
    path("users/<str:username>", views.ProfileView.as_view(), name="user-profile"),
    path("conversations", views.ConversationListView.as_view(), name="conversations"),
    path(
        "conversations/<int:conversation_id>",
        views.ConversationDetailView.as_view(),
        name="conversation",
    ),
    path(
        "conversations/<int:conversation_id>/accept",
        views.ConversationAcceptView.as_view(),
        name="conversation-accept",
    ),
    path(
        "conversations/<int:conversation_id>/members",
        views.ConversationMembersView.as_view(),
        name="conversation-members",
    ),
    path(
        "conversations/<int:conversation_id>/members/<str:username>",
        views.ConversationMemberView.as_view(),
        name="conversation-member",
    ),
    path(
        "conversations/<int:conversation_id>/read",
        views.ConversationReadView.as_view(),
        name="conversation-read",
    ),
    path(
        "conversations/<int:conversation_id>/messages",
        views.ConversationMessagesView.as_view(),
        name="conversation-messages",
    ),
    path("messages", views.MessageSendView.as_view(), name="messages"),
    path("messages/<int:message_id>", views.MessageDetailView.as_view(), name="message"),
    path(
        "messages/<int:message_id>/reaction",
        views.MessageReactionView.as_view(),
        name="message-reaction",
    ),
]
