"""The business rules. Imports nothing but the standard library."""
