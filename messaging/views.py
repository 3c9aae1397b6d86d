"""Chat pages: inbox, requests, conversation, search, home and profiles.

Every page asks the same services, selectors and DM policy as the API; a denial is
shown as the sentence of its error class. Live updates come from static/js over
the `/ws/` socket; without JavaScript every page and form still works.
"""

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from attachments.selectors import attachments_load
from dmsite.errors import ApiError, NotFound
from dmsite.fields import db_id_from_text
from messaging import groups, selectors, services
from messaging.errors import DENIAL_ERRORS
from messaging.forms import MessageForm, SearchForm
from messaging.models import Folder, MemberState
from messaging.policy import DmDecision, dm_decision
from messaging.shapes import message_shape
from privacy.selectors import (
    follow_counts,
    friends_of,
    privacy_settings_for,
    relationship_between,
    request_contexts,
    user_get_visible,
    user_search,
)

INBOX_PAGE = 50
HISTORY_PAGE = 50
SEARCH_RESULTS = 30
FRIENDS_SHOWN = 100
TIME_SEPARATOR_GAP = timedelta(minutes=15)  # a time label between messages further apart
INBOX_KEY = re.compile(r"^[0-9:]{1,48}\Z")
# A user who blocked you, or deactivated, is "not found": say only that they are unavailable.
NOT_AVAILABLE = "This account isn't available."


def denial_sentence(decision: DmDecision) -> str | None:
    """What the conversation shows instead of the composer, or None to show the composer.

    A rate limit passes with time, so the composer stays and a send explains it.
    """
    if decision.allowed or decision.code == "rate_limited":
        return None
    if decision.code == "not_found":
        return NOT_AVAILABLE
    return decision.detail or str(DENIAL_ERRORS[decision.code].default_detail)


def _visible_user_or_404(viewer, username: str):
    try:
        return user_get_visible(viewer=viewer, username=username)
    except NotFound:
        raise Http404("No such user.") from None


def _participant_or_404(user, conversation_id: int):
    try:
        return selectors.participant_get(user=user, conversation_id=conversation_id)
    except NotFound:
        raise Http404("No such conversation.") from None


# Inbox and requests ------------------------------------------------------------------


def _folder_page(request, folder: str):
    conversations = selectors.conversation_list_for_user(user=request.user, folder=folder)
    before = request.GET.get("before", "")
    if INBOX_KEY.match(before):
        conversations = conversations.filter(inbox_key__lt=before)
    else:
        before = ""
    page = list(conversations[: INBOX_PAGE + 1])
    attachments_load(participant.conversation.last_message for participant in page)
    next_before = page[INBOX_PAGE - 1].inbox_key if len(page) > INBOX_PAGE else ""
    page = page[: INBOX_PAGE + 1]
    _rows_shown(page, request.user)
    context = {
        "folder": folder,
        "conversations": page[:INBOX_PAGE],
        "next_before": next_before,
        "first_page": not before,
        "active_tab": "inbox",
    }
    if folder == Folder.INBOX:
        context["requests_count"] = selectors.conversation_list_for_user(
            user=request.user, folder=Folder.REQUESTS
        ).count()
    if folder == Folder.REQUESTS:  # Filtered requests sit collapsed under Requests
        context["filtered_count"] = selectors.conversation_list_for_user(
            user=request.user, folder=Folder.FILTERED
        ).count()
    return render(request, "messaging/inbox.html", context)


def _rows_shown(page: list, viewer) -> None:
    """What each inbox row shows: a group's name and members (one query for the page), and
    the last message as this side sees it (none past a member's leaving, a placeholder
    for someone they blocked)."""
    from messaging.group_views import group_name

    group_ids = [row.conversation_id for row in page if row.other_id is None]
    members = selectors.group_members(group_ids)
    blocked = selectors.blocked_ids(user=viewer) if group_ids else set()
    for row in page:
        last = row.conversation.last_message
        row.shown_last = last if last is not None and row.sees(last.pk) else None
        if row.other_id is None:
            row.group_members = members[row.conversation_id]
            row.group_name = group_name(row.conversation, row.group_members, viewer)
            if row.shown_last is not None:
                row.shown_last.blocked = (
                    row.shown_last.kind == "text" and row.shown_last.sender_id in blocked
                )


@login_required
def inbox(request):
    return _folder_page(request, Folder.INBOX)


@login_required
def requests_folder(request):
    return _folder_page(request, Folder.REQUESTS)


@login_required
def filtered_folder(request):
    return _folder_page(request, Folder.FILTERED)


# A conversation ------------------------------------------------------------------------


def _history(participant, before: int | None) -> tuple[list, bool]:
    """The page of messages to show, oldest first, and whether earlier ones exist."""
    messages_ = selectors.message_history(participant=participant).order_by("-id")
    if before is not None:
        messages_ = messages_.filter(id__lt=before)
    page = list(messages_[: HISTORY_PAGE + 1])
    has_earlier = len(page) > HISTORY_PAGE
    page = page[:HISTORY_PAGE][::-1]
    attachments_load(page)
    previous = None
    for message in page:
        message.show_time = (
            previous is None or message.created_at - previous.created_at > TIME_SEPARATOR_GAP
        )
        previous = message
    return page, has_earlier


def history_page(history: list, has_earlier: bool, before: int | None) -> dict:
    """What a conversation page (direct or group) needs to page through its history."""
    return {
        "history": history,
        "has_earlier": has_earlier,
        "earlier_before": history[0].id if history else None,
        "latest": before is None,
        "last_seq": history[-1].seq if history and before is None else 0,
        "last_id": history[-1].id if history and before is None else 0,
    }


def _conversation_page(request, participant, form: MessageForm | None = None):
    if participant.other_id is None:
        from messaging.group_views import group_page

        return group_page(request, participant, form)
    # Opening a conversation reads it (as in TikTok's app): the unread badge drops.
    if participant.unread_count:
        services.conversation_mark_read(
            participant=participant, up_to=participant.conversation.last_message_id or 0
        )
    before = request.GET.get("before", "")
    before = db_id_from_text(before)
    history, has_earlier = _history(participant, before)
    me = request.user
    seen_up_to = selectors.seen_up_to(participant=participant)
    seen_id = None
    if seen_up_to:
        mine_seen = [m.id for m in history if m.sender_id == me.pk and m.id <= seen_up_to]
        seen_id = mine_seen[-1] if mine_seen else None
    other = participant.other
    decision = dm_decision(me, other)
    context = {
        "participant": participant,
        "other": other,
        **history_page(history, has_earlier, before),
        "seen_id": seen_id,
        "decision": decision,
        "denial": denial_sentence(decision),
        "relationship": relationship_between(viewer=me, user=other),
        # A fresh client_id per form: submitting the same form twice stores one message.
        "form": form or MessageForm(initial={"client_id": secrets.token_hex(16)}),
        "is_request": participant.folder in (Folder.REQUESTS, Folder.FILTERED),
        "is_filtered": participant.folder == Folder.FILTERED,
        "voice_max_seconds": settings.VOICE_MAX_SECONDS,
        # The same shapes the socket sends: static/js/chat.js draws every bubble from them.
        "history_shapes": [
            message_shape(message, viewer_id=me.pk, seen_up_to=seen_up_to) for message in history
        ],
        "max_length": settings.DM_MAX_LENGTH,
        "unsend_seconds": settings.DM_UNSEND_SECONDS,
        # Two panes from 900 px: the inbox beside the chat.
        "pane_conversations": _pane_conversations(request.user, participant),
    }
    if context["is_request"]:
        context["request_context"] = request_contexts(viewer=me, senders=[other])[other.pk]
    return render(request, "messaging/conversation.html", context)


def _pane_conversations(user, participant) -> list:
    """The inbox (or requests) list shown beside a chat on wide screens."""
    folder = Folder.REQUESTS if participant.folder == Folder.REQUESTS else Folder.INBOX
    page = list(selectors.conversation_list_for_user(user=user, folder=folder)[:INBOX_PAGE])
    _rows_shown(page, user)
    attachments_load(side.conversation.last_message for side in page)
    return page


@login_required
def conversation(request, conversation_id: int):
    return _conversation_page(request, _participant_or_404(request.user, conversation_id))


@login_required
@require_POST
def conversation_send(request, conversation_id: int):
    """The composer without JavaScript (the page's script sends over the socket instead)."""
    participant = _participant_or_404(request.user, conversation_id)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.message_send(
                sender=request.user,
                recipient=participant.other,
                conversation=participant.conversation,
                body=form.cleaned_data["body"],
                client_id=form.cleaned_data["client_id"] or None,
                attachments=form.cleaned_data["attachments"] or None,
            )
        except ApiError as error:
            form.add_service_error(error)
        else:
            return redirect("messaging:conversation", conversation_id)
    return _conversation_page(request, participant, form)


@login_required
@require_POST
def conversation_accept(request, conversation_id: int):
    participant = _participant_or_404(request.user, conversation_id)
    if participant.other_id is None:  # a group invitation: join
        try:
            groups.group_invitation_accept(participant=participant)
        except NotFound:
            raise Http404("No such invitation.") from None
    else:
        services.conversation_accept(participant=participant)
    return redirect("messaging:conversation", conversation_id)


@login_required
@require_POST
def conversation_delete(request, conversation_id: int):
    """Delete for me: the chat leaves my inbox until a new message arrives."""
    participant = _participant_or_404(request.user, conversation_id)
    if participant.state == MemberState.INVITED:
        groups.group_invitation_decline(participant=participant)
        messages.success(request, "Invitation declined.")
        return redirect("messaging:requests")
    services.conversation_hide(participant=participant)
    messages.success(request, "Chat deleted.")
    folder_pages = {Folder.REQUESTS: "messaging:requests", Folder.FILTERED: "messaging:filtered"}
    return redirect(folder_pages.get(participant.folder, "messaging:inbox"))


# People ---------------------------------------------------------------------------------


@login_required
def home(request):
    friends = friends_of(user=request.user).order_by("username")[:FRIENDS_SHOWN]
    return render(
        request,
        "messaging/home.html",
        {"form": SearchForm(), "friends": friends, "active_tab": "home"},
    )


@login_required
def search(request):
    form = SearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        query = form.cleaned_data["q"]
        results = list(
            user_search(viewer=request.user, query=query).order_by("search_position")[
                :SEARCH_RESULTS
            ]
        )
    return render(
        request,
        "messaging/search.html",
        {"form": form, "results": results, "active_tab": "home"},
    )


@login_required
def profile(request, username: str):
    user = _visible_user_or_404(request.user, username)
    is_me = user.pk == request.user.pk
    context = {
        "profile_user": user,
        "is_me": is_me,
        "counts": follow_counts(viewer=request.user, user=user),
        "active_tab": "profile" if is_me else "",
    }
    if is_me:
        context["privacy"] = privacy_settings_for(user)
    else:
        relationship = relationship_between(viewer=request.user, user=user)
        decision = dm_decision(request.user, user)
        context.update(
            relationship=relationship,
            # The policy may still deny a send; the conversation then says why.
            message_button=relationship.message_button,
            can_message=decision.allowed,
        )
    return render(request, "messaging/profile.html", context)


@login_required
@require_POST
def open_chat(request, username: str):
    """Message button: open (or find) the conversation with this user; sends nothing."""
    user = _visible_user_or_404(request.user, username)
    try:
        participant, _ = services.conversation_open(user=request.user, other=user)
    except ApiError as error:
        messages.error(request, str(error.detail))
        return redirect("messaging:profile", user.username)
    return redirect("messaging:conversation", participant.conversation_id)
