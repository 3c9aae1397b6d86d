"""Privacy pages and the follow/block buttons: the same services as the API.

The profile page itself is in messaging/views.py, since it asks the DM policy.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.views import safe_next_url
from dmsite.errors import ApiError, NotFound
from privacy import selectors, services
from privacy.forms import PrivacySettingsForm
from privacy.models import ADULT_AGE, filters_requests

DM_PREFERENCE_HINTS = {
    "everyone": "Anyone can send you a message request.",
    "friends": "Only people you follow who follow you back.",
    "no_one": "Nobody can start a chat with you.",
}


def _profile_url(username: str) -> str:
    return reverse("messaging:profile", args=[username])


def _user_or_404(lookup, **kwargs):
    try:
        return lookup(**kwargs)
    except NotFound:
        raise Http404("No such user.") from None


@login_required
def privacy_settings(request):
    current = selectors.privacy_settings_for(request.user)
    initial = {
        "dm_preference": current.dm_preference,
        "read_receipts": current.read_receipts,
        "filter_requests": filters_requests(request.user, current.filter_requests),
        "hidden_words": "\n".join(current.hidden_words),
    }
    minor = request.user.age < ADULT_AGE
    form = PrivacySettingsForm(request.POST or None, initial=initial, minor=minor)
    if request.method == "POST" and form.is_valid():
        try:
            services.privacy_settings_update(user=request.user, **form.cleaned_data)
        except ApiError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Privacy settings saved.")
            return redirect("privacy:settings")
    choices = [
        {"radio": radio, "hint": DM_PREFERENCE_HINTS.get(radio.data["value"], "")}
        for radio in form["dm_preference"]
    ]
    return render(
        request,
        "privacy/settings.html",
        {"form": form, "dm_choices": choices, "active_tab": "profile"},
    )


@login_required
def blocked_list(request):
    blocks = selectors.blocks_of(user=request.user).order_by("-created_at", "-id")
    return render(request, "privacy/blocked.html", {"blocks": blocks, "active_tab": "profile"})


def _after(request, username: str):
    return redirect(safe_next_url(request, _profile_url(username)))


@login_required
@require_POST
def follow(request, username):
    user = _user_or_404(selectors.user_get_visible, viewer=request.user, username=username)
    try:
        services.follow_create(follower=request.user, followee=user)
    except NotFound:
        raise Http404("No such user.") from None
    except ApiError as error:
        messages.error(request, str(error.detail))
    return _after(request, user.username)


@login_required
@require_POST
def unfollow(request, username):
    user = _user_or_404(selectors.user_get_visible, viewer=request.user, username=username)
    services.follow_delete(follower=request.user, followee=user)
    return _after(request, user.username)


@login_required
@require_POST
def block(request, username):
    user = _user_or_404(selectors.user_get_blockable, viewer=request.user, username=username)
    try:
        services.block_create(blocker=request.user, blocked=user)
    except ApiError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(request, f"You blocked @{user.username}.")
    return _after(request, user.username)


@login_required
@require_POST
def unblock(request, username):
    user = _user_or_404(selectors.user_get_blockable, viewer=request.user, username=username)
    services.block_delete(blocker=request.user, blocked=user)
    messages.success(request, f"You unblocked @{user.username}.")
    return _after(request, user.username)
