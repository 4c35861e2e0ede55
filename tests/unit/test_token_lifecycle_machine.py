"""Property: a token is usable if and only if it exists, is not revoked and is not expired."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from sculptops.bootstrap import build
from sculptops.domain.errors import NotAuthenticated, NotFound
from sculptops.local import seed
from sculptops.services.tokens import NewToken
from tests.conftest import SETTINGS, session
from tests.fakes import FakeClock, FakeIdentityStore, FakeJwtVerifier, fake_stores


class TokenLifecycle(RuleBasedStateMachine):
    tokens = Bundle("tokens")

    def __init__(self) -> None:
        super().__init__()
        identities = FakeIdentityStore()
        seed.seed_identity(identities)
        self.clock = FakeClock()
        self.c = build(
            SETTINGS,
            **fake_stores(identity_store=identities),
            clock=self.clock,
            jwt_verifier=FakeJwtVerifier(),
        )
        # The model: value -> (id, expires_at, deleted)
        self.model: dict[str, dict[str, object]] = {}

    def caller(self):
        return session(self.c, "admin@demo")

    @rule(target=tokens, days=st.integers(min_value=1, max_value=5))
    def create(self, days: int) -> str:
        created = self.c.tokens.create(self.caller(), NewToken(name="t", expires_in_days=days))
        self.model[created.value] = {
            "id": created.token.id,
            "expires": created.token.expires_at,
            "gone": False,
        }
        return created.value

    @rule(value=tokens)
    def delete(self, value: str) -> None:
        entry = self.model[value]
        try:
            self.c.tokens.delete(self.caller(), str(entry["id"]))
            assert not entry["gone"], "deleted twice"
        except NotFound:
            assert entry["gone"]
        entry["gone"] = True

    @rule()
    def revoke_all(self) -> None:
        self.clock.advance(seconds=1)
        self.c.tokens.revoke_all(self.caller())
        for entry in self.model.values():
            entry["gone"] = True
        self.clock.advance(seconds=1)

    @rule(hours=st.integers(min_value=1, max_value=72))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    @rule(value=tokens)
    def use(self, value: str) -> None:
        self._check(value)

    def _check(self, value: str) -> None:
        entry = self.model[value]
        expected = not entry["gone"] and self.clock.now() < entry["expires"]  # type: ignore[operator]
        try:
            self.c.authenticator.authenticate(value)
            usable = True
        except NotAuthenticated:
            usable = False
        assert usable == expected, (entry, self.clock.now())

    @invariant()
    def usable_iff_exists_not_revoked_not_expired(self) -> None:
        for value in self.model:
            self._check(value)


TokenLifecycle.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
test_token_lifecycle = TokenLifecycle.TestCase
