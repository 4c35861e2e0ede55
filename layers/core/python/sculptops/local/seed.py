"""Demo data for the local stack: tenants `demo` and `acme`, four users, one user in both."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from sculptops.domain.catalog import Host, Inventory, Playbook
from sculptops.domain.identity import Tenant, User
from sculptops.domain.roles import Role
from sculptops.ports import CatalogStore, IdentityStore

PING_ID = "pb_000000000000000000000001"
LOCAL_ID = "inv_000000000000000000000001"
PING = """- name: ping
  hosts: all
  gather_facts: false
  tasks:
    - name: ping the hosts
      ansible.builtin.ping:

    - name: say hello
      ansible.builtin.debug:
        msg: "hello from SculptOps on {{ inventory_hostname }}"

    - name: greet whoever the run says (extra var `who`)
      ansible.builtin.debug:
        msg: "Hello, {{ who | default('world') }}"
"""

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


def seed_catalog(store: CatalogStore) -> None:
    """A `ping` playbook and a `local` inventory (localhost, local connection) in each tenant."""
    now = datetime.now(UTC)
    for tenant in TENANTS:
        if store.get_playbook(tenant.slug, PING_ID) is None:
            store.put_playbook(Playbook(PING_ID, tenant.slug, "ping", PING, now, now))
        if store.get_inventory(tenant.slug, LOCAL_ID) is None:
            host = Host(
                "localhost",
                # The controller's own Python, so no interpreter discovery is needed.
                {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            )
            store.put_inventory(Inventory(LOCAL_ID, tenant.slug, "local", [host], {}, now, now))
