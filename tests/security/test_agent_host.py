"""An admin's playbook cannot read an agent's token, the pepper or AWS keys from /proc.

Replays what a tenant admin of `demo` did with nothing but the API: a playbook whose task reads
the initial environment (/proc/PID/environ) of every `sculptops` process on the agent host. The
embedded agents used to inherit the whole server environment plus their token, so it printed
both tenants' agent tokens, the token pepper and the AWS variables. Only variable NAMES are
printed here, never values.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.security.test_run_parameters import _playbook, _run_log
from tests.stack import Stack

SCAN_PROC = r"""
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.shell: |
        for d in /proc/[0-9]*; do
          c=$(tr '\0' ' ' < $d/cmdline 2>/dev/null) || continue
          case "$c" in
            *sculptops.cli.main[[:space:]]agent[[:space:]]*) kind=agent;;
            *sculptops[[:space:]]agent[[:space:]]*) kind=agent;;
            *sculptops.cli.main[[:space:]]serve[[:space:]]*) kind=serve;;
            *sculptops[[:space:]]serve[[:space:]]*) kind=serve;;
            *sculptops*) kind=other;;
            *) continue;;
          esac
          where=$(echo "$c" | grep -oE -- '--(url|port) [^ ]+' | tr ' ' '=' | head -1)
          n=$(tr '\0' '\n' < $d/environ 2>/dev/null | cut -d= -f1 \
              | grep -E 'SCULPTOPS_|AWS_|PEPPER' | sort | tr '\n' ' ')
          echo "PROC ${d#/proc/} $kind $where names=[$n]"
        done
      register: scan
    - ansible.builtin.debug: {var: scan.stdout_lines}
"""
PROC = re.compile(r'"PROC (\d+) (\w+) (\S*) ?names=\[([^\]]*)\]"')


def test_a_playbook_finds_no_secret_in_any_embedded_agents_environment(stack: Stack) -> None:
    # Given an admin's playbook that lists the secret-looking variable names in the initial
    # environment of every sculptops process on the agent host
    playbook = _playbook(stack, "scan-proc-environ", SCAN_PROC)
    # When it runs on the embedded agent
    status, text = _run_log(stack, stack.token, playbook)
    assert status == "success", text
    found = [m.groups() for m in PROC.finditer(text)]
    port = urlsplit(stack.url).port
    # (other stacks may run on this machine: only this one's processes count)
    agents = {
        pid: names
        for pid, kind, where, names in found
        if kind == "agent" and where == f"--url={stack.url}"
    }
    serve = [n for _, kind, where, n in found if kind == "serve" and where == f"--port={port}"]
    # Then it sees this stack's two embedded agents (demo and acme) and its server...
    assert len(agents) == 2, text
    assert len(serve) == 1, text
    # ...and reading environments works (the server was started with SCULPTOPS_* settings)...
    assert "SCULPTOPS_" in serve[0], text
    # ...but neither agent's initial environment holds a token, the pepper or an AWS variable
    for pid, names in agents.items():
        assert names.split() == [], f"agent {pid} exposes {names}"
    for secret in ("SCULPTOPS_AGENT_TOKEN", "SCULPTOPS_TOKEN_PEPPER", "AWS_SECRET_ACCESS_KEY"):
        assert all(secret not in names for names in agents.values())
