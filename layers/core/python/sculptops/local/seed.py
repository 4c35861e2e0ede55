"""Demo data for the local stack: tenants `demo` and `acme`, four users, one user in both."""

from __future__ import annotations

from sculptops.domain.identity import Tenant, User
from sculptops.domain.roles import Role
from sculptops.ports import IdentityStore

TENANTS = [Tenant(slug="demo", name="Demo"), Tenant(slug="acme", name="Acme")]
USERS = [
    User(
        id="admin@demo",
        email="admin@demo",
        name="Demo Admin",
        memberships={"demo": Role.ADMIN},
        active_tenant="demo",
    ),
    User(
        id="member@demo",
        email="member@demo",
        name="Demo Member",
        # One user, two roles: member in demo, viewer in acme.
        memberships={"demo": Role.MEMBER, "acme": Role.VIEWER},
        active_tenant="demo",
    ),
    User(
        id="viewer@demo",
        email="viewer@demo",
        name="Demo Viewer",
        memberships={"demo": Role.VIEWER},
        active_tenant="demo",
    ),
    User(
        id="admin@acme",
        email="admin@acme",
        name="Acme Admin",
        memberships={"acme": Role.ADMIN},
        active_tenant="acme",
    ),
]


def seed_identity(store: IdentityStore) -> None:
    """Write the demo tenants and users (idempotent: existing users are left as they are)."""
    for tenant in TENANTS:
        if store.get_tenant(tenant.slug) is None:
            store.put_tenant(tenant)
    for user in USERS:
        if store.get_user(user.id) is None:
            store.put_user(user)
