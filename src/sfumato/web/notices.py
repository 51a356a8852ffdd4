"""What a page says after an action succeeded: the action's page redirects with `?done=NAME`, and the page
it lands on shows the sentence of that name (never text from the address itself)."""

NOTICES = {
    "published": "Published: the public URL below works without a key.",
    "unpublished": "Unpublished: the old public URL no longer works.",
    "transformed": "Transformed: this is the new image; the original is unchanged.",
    "deleted": "Deleted: the image, its file and its public URL are gone.",
    "revoked": "The key was revoked: it works nowhere from now on.",
    "own-key-revoked": "Your key was revoked, so this session ended. Sign in with another key.",
}


def notice_of(done: str | None) -> str | None:
    return NOTICES.get(done or "")
