"""Account pages (the API lives in accounts/api/urls.py)."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup", views.sign_up, name="signup"),
    path("login", views.log_in, name="login"),
    path("logout", views.log_out, name="logout"),
    path("settings/phone", views.phone, name="phone"),
    path("settings/phone/verify", views.phone_verify, name="phone_verify"),
]
