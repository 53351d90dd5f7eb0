"""The atproto OAuth client: identity resolution, discovery, PAR, PKCE, DPoP.

Every URL met on the way is untrusted input and goes through GuardedHttpClient."""
