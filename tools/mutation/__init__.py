"""Mutation testing of talk_backend with mutmut 3, one part at a time (make mutation)."""
