"""The provider groups of the composition root (talk_backend/container.py), one module
each, so that a group a test fakes is never imported: see container.GROUPS."""
