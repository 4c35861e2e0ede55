"""CatalogService on fakes: admins write playbooks and inventories, every role reads, per tenant."""

from __future__ import annotations

import pytest

from sculptops.domain.catalog import Host
from sculptops.domain.errors import Forbidden, InvalidInput, NotFound
from sculptops.local.seed import LOCAL_ID, PING_ID
from tests.conftest import session

PLAY = "- hosts: all\n  tasks:\n    - ansible.builtin.ping:\n"


def test_an_admin_creates_replaces_and_deletes_a_playbook(c, admin, viewer):
    # When an admin creates a playbook
    made = c.catalog.create_playbook(admin, " deploy ", PLAY)
    # Then every role reads it, sorted by name with the seeded one
    assert made.name == "deploy" and made.tenant == "demo"
    assert [p.name for p in c.catalog.list_playbooks(viewer)] == ["deploy", "ping"]
    # When replaced later: new name and content, same id and created_at, a new updated_at
    c.clock.advance(minutes=5)
    replaced = c.catalog.replace_playbook(admin, made.id, "deploy2", PLAY + "# v2\n")
    assert (replaced.id, replaced.created_at) == (made.id, made.created_at)
    assert (
        replaced.updated_at == c.clock.now()
        and c.catalog.get_playbook(viewer, made.id).name == "deploy2"
    )
    # When deleted: gone; a second delete is not found
    c.catalog.delete_playbook(admin, made.id)
    with pytest.raises(NotFound):
        c.catalog.get_playbook(viewer, made.id)
    with pytest.raises(NotFound):
        c.catalog.delete_playbook(admin, made.id)


@pytest.mark.parametrize(
    ("name", "content"),
    [("", PLAY), ("ok", "not: a list"), ("ok", "- hosts: all\n  tasks: [\n"), ("ok", "- {}\n")],
)
def test_a_bad_playbook_is_refused_naming_the_field(c, admin, name, content):
    with pytest.raises(InvalidInput) as raised:
        c.catalog.create_playbook(admin, name, content)
    assert raised.value.field in {"name", "content"}
    assert [p.id for p in c.catalog.list_playbooks(admin)] == [PING_ID]


def test_members_and_viewers_only_read(c, member, viewer):
    for caller in (member, viewer):
        with pytest.raises(Forbidden):
            c.catalog.create_playbook(caller, "x", PLAY)
        with pytest.raises(Forbidden):
            c.catalog.delete_inventory(caller, LOCAL_ID)
        assert c.catalog.get_inventory(caller, LOCAL_ID).name == "local"


def test_inventories_with_hosts_and_vars(c, admin, viewer):
    made = c.catalog.create_inventory(
        admin, "web", [Host("web1", {"port": 8080}), Host("10.0.0.2")], {"env": "prod"}
    )
    got = c.catalog.get_inventory(viewer, made.id)
    assert [h.name for h in got.hosts] == ["web1", "10.0.0.2"] and got.vars == {"env": "prod"}
    with pytest.raises(InvalidInput) as raised:
        c.catalog.replace_inventory(admin, made.id, "web", [Host("a"), Host("a")], {})
    assert raised.value.field == "hosts.1.name"
    with pytest.raises(InvalidInput) as raised:
        c.catalog.create_inventory(admin, "empty", [], {})
    assert raised.value.field == "hosts"


def test_each_tenant_sees_its_own_catalog_only(c, admin):
    made = c.catalog.create_playbook(admin, "mine", PLAY)
    acme = session(c, "admin@acme", "acme")
    with pytest.raises(NotFound):
        c.catalog.get_playbook(acme, made.id)
    with pytest.raises(NotFound):
        c.catalog.delete_playbook(acme, made.id)
    assert "mine" not in [p.name for p in c.catalog.list_playbooks(acme)]
