from django.urls import path

from privacy.api import views

urlpatterns = [
    path("users", views.UserSearchView.as_view(), name="user-search"),
    path("users/<str:username>/followers", views.FollowersView.as_view(), name="user-followers"),
    path("users/<str:username>/following", views.FollowingView.as_view(), name="user-following"),
    path("users/<str:username>/follow", views.FollowView.as_view(), name="user-follow"),
    path("users/<str:username>/block", views.BlockView.as_view(), name="user-block"),
    path("me/blocks", views.MyBlocksView.as_view(), name="me-blocks"),
    path("me/friends", views.MyFriendsView.as_view(), name="me-friends"),
    path("me/privacy", views.PrivacySettingsView.as_view(), name="me-privacy"),
]
