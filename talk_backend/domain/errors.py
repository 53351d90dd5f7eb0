"""Errors the domain and use cases raise. Each names the problem in plain words."""


class DomainError(Exception):
    """Base of every rule violation; entrypoints map these to client errors."""


class InvalidDid(DomainError):
    pass


class InvalidHandle(DomainError):
    pass


class InvalidInvitee(DomainError):
    pass


class InvalidExpiry(DomainError):
    pass


class InviteRequired(DomainError):
    """Sign-in refused: the account does not exist and no valid invite names it."""


class InviteNotFound(DomainError):
    pass


class InviteNotPending(DomainError):
    pass


class NotInviteOwner(DomainError):
    pass


class InviteQuotaExceeded(DomainError):
    pass


class InviteAlreadyPending(DomainError):
    pass


class AlreadyMember(DomainError):
    pass


class InviterNotActive(DomainError):
    pass


class UserNotFound(DomainError):
    pass


class DuplicateUser(DomainError):
    """Another sign-in created the same DID first (a lost race, not a client error)."""


class SignInFailed(DomainError):
    """The identity provider did not vouch for the user (bad state, code, issuer...)."""


class TooManyPendingSignIns(DomainError):
    """As many sign-ins are under way as the server keeps (SIGN_IN__MAX_PENDING)."""


class SignInDeclined(SignInFailed):
    """The person chose not to sign in at their authorization server (access_denied)."""
