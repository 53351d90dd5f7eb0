"""Adapters: the ports implemented with real technology (SQLAlchemy, HTTP)."""
