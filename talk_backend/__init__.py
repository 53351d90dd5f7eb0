"""talk-backend: invite-only sign-in with Bluesky accounts."""
