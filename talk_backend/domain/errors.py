"""The domain's refusals: broken rules (invites, identities, membership) and a person's
own "no". Failures of adapters are application errors (application/errors.py).
Each names the problem in plain words."""


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
    """A user with this DID exists already: one account per DID. CompleteSignIn treats it as a
    lost race and signs in as the winner; anywhere else it is a conflict (409)."""


class TooManyPendingSignIns(DomainError):
    """As many sign-ins are under way as the server keeps (SIGN_IN__MAX_PENDING)."""


class SignInDeclined(DomainError):
    """The person chose not to sign in at their authorization server (access_denied)."""
