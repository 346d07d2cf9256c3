"""YouTube liveChatMessage resources into Items: pure functions, no network.

The resource as documented at https://developers.google.com/youtube/v3/live/docs/liveChatMessages
(`id`, `snippet.type`, `snippet.publishedAt`, `snippet.displayMessage`, the details of each
type, `authorDetails.displayName/channelId/channelUrl/profileImageUrl`). Text messages,
Super Chats, Super Stickers and membership messages are posts; a paid or membership one
carries its mark at the start of its text ("Super Chat €5.00: …", "New member: …") and its
`snippet.type` in `raw`. A `messageDeletedEvent` names a message removed from the chat.
The same functions convert the live chat and `import --format youtube`.
"""

from __future__ import annotations

from typing import Any

from aggregator import clock
from aggregator.items import Author, InvalidItem, Item
from aggregator.jsontext import as_dict, as_list
from aggregator.sanitize import clean_url

TEXT = "textMessageEvent"
PAID = {"superChatEvent", "superStickerEvent"}
MEMBERSHIP = {
    "newSponsorEvent",
    "memberMilestoneChatEvent",
    "membershipGiftingEvent",
    "giftMembershipReceivedEvent",
}
POSTS = {TEXT, *PAID, *MEMBERSHIP}
DELETED = {"messageDeletedEvent", "messageRetractedEvent"}
ENDED = "chatEndedEvent"


def message_kind(message: Any) -> str:
    """The message's `snippet.type` ('' when it has none)."""
    kind = as_dict(as_dict(message).get("snippet")).get("type")
    return kind if isinstance(kind, str) else ""


def deleted_message_id(message: Any) -> str | None:
    """The id of the message a `messageDeletedEvent` (or a retraction) removed, or None."""
    snippet = as_dict(as_dict(message).get("snippet"))
    if snippet.get("type") not in DELETED:
        return None
    details = as_dict(snippet.get("messageDeletedDetails") or snippet.get("messageRetractedDetails"))
    ident = details.get("deletedMessageId") or details.get("retractedMessageId")
    return ident if isinstance(ident, str) and ident else None


def _mark(kind: str, snippet: dict[str, Any]) -> tuple[str, str]:
    """(the mark of a paid or membership message, what its author wrote)."""
    if kind == "superChatEvent":
        details = as_dict(snippet.get("superChatDetails"))
        return f"Super Chat {details.get('amountDisplayString') or ''}".strip(), str(
            details.get("userComment") or ""
        )
    if kind == "superStickerEvent":
        details = as_dict(snippet.get("superStickerDetails"))
        sticker = as_dict(details.get("superStickerMetadata")).get("altText") or ""
        return f"Super Sticker {details.get('amountDisplayString') or ''}".strip(), str(sticker)
    if kind == "newSponsorEvent":
        details = as_dict(snippet.get("newSponsorDetails"))
        level = details.get("memberLevelName")
        mark = "Upgraded membership" if details.get("isUpgrade") else "New member"
        return f"{mark} ({level})" if level else mark, ""
    if kind == "memberMilestoneChatEvent":
        details = as_dict(snippet.get("memberMilestoneChatDetails"))
        months = details.get("memberMonth")
        return (f"Member for {months} months" if months else "Member milestone"), str(
            details.get("userComment") or ""
        )
    if kind == "membershipGiftingEvent":
        count = as_dict(snippet.get("membershipGiftingDetails")).get("giftMembershipsCount")
        return f"Gifted {count} memberships" if count else "Gifted memberships", ""
    if kind == "giftMembershipReceivedEvent":
        return "Received a gift membership", ""
    return "", ""


def item_from_chat_message(message: Any, video_id: str | None = None) -> Item | None:
    """One chat message as an Item; None for a message that is no post (a ban, a poll, a deletion).

    `video_id` is the broadcast the chat belongs to (its watch URL is the item's link).
    Raises InvalidItem when the message is malformed.
    """
    if not isinstance(message, dict) or not isinstance(message.get("id"), str) or not message["id"]:
        raise InvalidItem("a live chat message needs an 'id'")
    snippet = message.get("snippet")
    if not isinstance(snippet, dict) or not isinstance(snippet.get("type"), str):
        raise InvalidItem("a live chat message needs a 'snippet' with its 'type'")
    kind = snippet["type"]
    if kind not in POSTS:
        return None
    author = as_dict(message.get("authorDetails"))
    if kind == TEXT:
        text = as_dict(snippet.get("textMessageDetails")).get("messageText") or snippet.get("displayMessage")
        if not isinstance(text, str):
            raise InvalidItem("a text message needs 'textMessageDetails.messageText'")
    else:
        mark, comment = _mark(kind, snippet)
        text = f"{mark}: {comment}" if comment else mark
    channel = author.get("channelId") or snippet.get("authorChannelId")
    return Item(
        source="youtube",
        source_id=message["id"],
        author=Author(
            name=str(author.get("displayName") or "YouTube viewer"),
            handle=channel if isinstance(channel, str) else None,
            url=clean_url(author.get("channelUrl")),
            avatar=clean_url(author.get("profileImageUrl")),
        ),
        text=text,
        url=clean_url(f"https://www.youtube.com/watch?v={video_id}") if video_id else None,
        created_at=clock.normalize(snippet.get("publishedAt")) or "",
        raw=message,
    )


def items_from_messages(payload: Any, video_id: str | None = None) -> tuple[list[Item], list[str]]:
    """The posts of a liveChatMessages.list answer (or of one message), and why others were skipped."""
    payload = as_dict(payload)
    messages = as_list(payload.get("items")) if "items" in payload else [payload]
    items, skipped = [], []
    for message in messages:
        try:
            item = item_from_chat_message(message, video_id)
        except InvalidItem as error:
            skipped.append(f"invalid live chat message: {error}")
            continue
        if item is None:
            skipped.append(f"{message_kind(message) or 'unknown'} (not a chat post)")
        else:
            items.append(item)
    return items, skipped
