"""`make bench`: how fast the integration harness provisions and isolates databases."""
