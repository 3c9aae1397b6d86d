"""Privacy pages and the profile's follow and block buttons (the API is in privacy/api/)."""

from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("settings/privacy", views.privacy_settings, name="settings"),
    path("settings/blocked", views.blocked_list, name="blocked"),
    path("u/<str:username>/follow", views.follow, name="follow"),
    path("u/<str:username>/unfollow", views.unfollow, name="unfollow"),
    path("u/<str:username>/block", views.block, name="block"),
    path("u/<str:username>/unblock", views.unblock, name="unblock"),
]
