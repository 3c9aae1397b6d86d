"""Chat pages (the API is in messaging/api/urls.py, the socket in messaging/routing.py)."""

from django.urls import path

from messaging import group_views, views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("requests", views.requests_folder, name="requests"),
    path("requests/filtered", views.filtered_folder, name="filtered"),
    path("home", views.home, name="home"),
    path("search", views.search, name="search"),
    path("c/<int:conversation_id>", views.conversation, name="conversation"),
    path("c/<int:conversation_id>/send", views.conversation_send, name="send"),
    path("c/<int:conversation_id>/accept", views.conversation_accept, name="accept"),
    path("c/<int:conversation_id>/delete", views.conversation_delete, name="delete"),
    path("new-group", group_views.group_new, name="group_new"),
    path("c/<int:conversation_id>/members", group_views.group_add, name="group_add"),
    path(
        "c/<int:conversation_id>/members/<str:username>/remove",
        group_views.group_remove,
        name="group_remove",
    ),
    path("c/<int:conversation_id>/rename", group_views.group_rename, name="group_rename"),
    path("u/<str:username>", views.profile, name="profile"),
    path("u/<str:username>/message", views.open_chat, name="open_chat"),
]
