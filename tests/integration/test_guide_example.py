"""The integration guide's example, with real types: it must work as written."""

from talk_backend.application.ports import InviteRepository
from talk_backend.application.usecase.invites.create import CreateInvite
from tests.factories import ALICE, BOB, seed_member
from tests.harness import create_env_fixture

integration_env = create_env_fixture(unmock={"persistence"})


class TestMyFeature:
    async def test_feature_with_database(self, integration_env):
        inviter = await seed_member(integration_env, ALICE)
        repo = await integration_env.get(InviteRepository)
        service = await integration_env.get(CreateInvite)
        result = await service.execute(inviter.id, BOB)
        saved = await repo.get(result.id)
        assert saved is not None
