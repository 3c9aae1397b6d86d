"""Group chat pages: a group's conversation, the new-group page, the members sheet's forms.

They call the same group services (`messaging/groups.py`), selectors and policy as
the API; a refusal is shown as the service's sentence.
"""

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dmsite.errors import ApiError
from dmsite.fields import db_id_from_text
from messaging import groups, selectors, services
from messaging.forms import MessageForm
from messaging.models import MemberState, MessageKind, Role
from messaging.policy import sender_decision
from messaging.shapes import blocked_placeholder, message_shape
from privacy.selectors import friends_of

FRIENDS_SHOWN = 500


def _participant_or_404(user, conversation_id: int):
    from messaging.views import _participant_or_404 as get

    participant = get(user, conversation_id)
    if participant.other_id is not None:
        raise Http404("No such group.")
    return participant


def group_name(conversation, members: list[dict], me) -> str:
    """The title, or the other members' names (SPEC section 9: the UI shows them)."""
    if conversation.title:
        return conversation.title
    names = [
        member["display_name"] or member["username"]
        for member in members
        if member["username"] != me.username and member["state"] == MemberState.MEMBER
    ]
    return ", ".join(names[:4]) + (f" +{len(names) - 4}" if len(names) > 4 else "") or "Group"


def group_page(request, participant, form: MessageForm | None = None):
    from messaging.views import _history, denial_sentence, history_page

    me = request.user
    conversation = participant.conversation
    invited = participant.state == MemberState.INVITED
    if participant.is_member and participant.unread_count:
        services.conversation_mark_read(
            participant=participant, up_to=conversation.last_message_id or 0
        )
    before = db_id_from_text(request.GET.get("before", ""))
    history, has_earlier = ([], False) if invited else _history(participant, before)
    blocked = selectors.blocked_ids(user=me)
    for message in history:
        message.blocked = message.kind == MessageKind.TEXT and message.sender_id in blocked
    members = selectors.group_members([conversation.pk])[conversation.pk]
    mine = next((m for m in members if m["username"] == me.username), None)
    denial = None
    if participant.state == MemberState.LEFT:
        denial = "You're no longer in this group."
    elif participant.is_member:
        denial = denial_sentence(sender_decision(me))
    in_group = {m["username"] for m in members}
    addable = [
        friend
        for friend in friends_of(user=me).order_by("username")[:FRIENDS_SHOWN]
        if friend.username not in in_group
    ]
    context = {
        "participant": participant,
        "conversation": conversation,
        "name": group_name(conversation, members, me),
        "members": members,
        "member_count": selectors.member_count(members),
        "is_owner": bool(mine and mine["role"] == Role.OWNER),
        "is_member": participant.is_member,
        "invited": invited,
        "addable": addable,
        **history_page(history, has_earlier, before),
        "denial": denial,
        "form": form or MessageForm(initial={"client_id": secrets.token_hex(16)}),
        "title_max": groups.TITLE_MAX_LENGTH,
        "voice_max_seconds": settings.VOICE_MAX_SECONDS,
        "max_length": settings.DM_MAX_LENGTH,
        "unsend_seconds": settings.DM_UNSEND_SECONDS,
        # The shapes the socket sends: static/js/chat.js draws every bubble from them.
        "history_shapes": [
            blocked_placeholder(message_shape(message))
            if message.blocked
            else message_shape(message)
            for message in history
        ],
    }
    return render(request, "messaging/group.html", context)


@login_required
def group_new(request):
    """Pick friends from a searchable list and an optional title: a new group."""
    friends = friends_of(user=request.user).order_by("username")[:FRIENDS_SHOWN]
    chosen, title, error = [], "", None
    if request.method == "POST":
        chosen = request.POST.getlist("usernames")
        title = request.POST.get("title", "")
        try:
            side = groups.group_create(creator=request.user, usernames=chosen, title=title)
        except ApiError as failure:
            error = str(failure.detail)
        else:
            return redirect("messaging:conversation", side.conversation_id)
    return render(
        request,
        "messaging/group_new.html",
        {
            "friends": friends,
            "chosen": set(chosen),
            "title": title,
            "error": error,
            "title_max": groups.TITLE_MAX_LENGTH,
            "active_tab": "inbox",
        },
        status=400 if error else 200,
    )


def _back(conversation_id: int):
    return redirect("messaging:conversation", conversation_id)


@login_required
@require_POST
def group_add(request, conversation_id: int):
    _participant_or_404(request.user, conversation_id)
    try:
        groups.group_members_add(
            adder=request.user,
            conversation_id=conversation_id,
            usernames=request.POST.getlist("usernames"),
        )
    except ApiError as failure:
        messages.error(request, str(failure.detail))
    return _back(conversation_id)


@login_required
@require_POST
def group_remove(request, conversation_id: int, username: str):
    _participant_or_404(request.user, conversation_id)
    try:
        groups.group_member_remove(
            actor=request.user, conversation_id=conversation_id, username=username
        )
    except ApiError as failure:
        messages.error(request, str(failure.detail))
        return _back(conversation_id)
    if username.lower() == request.user.username.lower():
        messages.success(request, "You left the group.")
        return redirect("messaging:inbox")
    return _back(conversation_id)


@login_required
@require_POST
def group_rename(request, conversation_id: int):
    participant = _participant_or_404(request.user, conversation_id)
    try:
        groups.group_rename(
            actor=request.user, participant=participant, title=request.POST.get("title", "")
        )
    except ApiError as failure:
        messages.error(request, str(failure.detail))
    return _back(conversation_id)
