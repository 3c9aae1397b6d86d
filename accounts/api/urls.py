from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("me/password", views.PasswordView.as_view(), name="me-password"),
    path("me/sessions", views.SessionsView.as_view(), name="me-sessions"),
    path("me/sessions/<int:token_id>", views.SessionView.as_view(), name="me-session"),
    path("me/phone", views.PhoneView.as_view(), name="me-phone"),
    path("me/phone/verify", views.PhoneVerifyView.as_view(), name="me-phone-verify"),
]
