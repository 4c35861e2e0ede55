"""AgentStore on DynamoDB: agents live in the identity table under their tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError

from sculptops.adapters.dynamodb.errors import is_conditional_failure, translated
from sculptops.domain.agents import SEEN_EVERY, Agent


class DynamoAgentStore:
    def __init__(self, model: Any) -> None:
        self._m = model

    @staticmethod
    def _key(tenant: str, agent_id: str) -> tuple[str, str]:
        return f"TENANT#{tenant}", f"AGENT#{agent_id}"

    def _agent(self, tenant: str, item: Any) -> Agent:
        return Agent(
            id=item.sk.removeprefix("AGENT#"),
            tenant=tenant,
            name=item.name or "",
            created_at=item.created_at,
            token_id=item.token_id or "",
            last_seen_at=item.last_seen_at,
            current_execution=item.current_execution,
        )

    def put_agent(self, agent: Agent) -> None:
        pk, sk = self._key(agent.tenant, agent.id)
        item = self._m(
            pk,
            sk,
            name=agent.name,
            created_at=agent.created_at,
            token_id=agent.token_id,
            last_seen_at=agent.last_seen_at,
            current_execution=agent.current_execution,
        )
        with translated():
            item.save()

    def get_agent(self, tenant: str, agent_id: str) -> Agent | None:
        with translated():
            try:
                item = self._m.get(*self._key(tenant, agent_id), consistent_read=True)
            except self._m.DoesNotExist:
                return None
        return self._agent(tenant, item)

    def list_agents(self, tenant: str) -> list[Agent]:
        with translated():
            items = list(self._m.query(f"TENANT#{tenant}", self._m.sk.startswith("AGENT#")))
        return [self._agent(tenant, i) for i in items]

    def delete_agent(self, tenant: str, agent_id: str) -> bool:
        with translated():
            try:
                self._m(*self._key(tenant, agent_id)).delete(condition=self._m.sk.exists())
            except DeleteError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def seen(self, tenant: str, agent_id: str, when: datetime, execution_id: str | None) -> None:
        m = self._m
        actions = [m.last_seen_at.set(when)]
        actions.append(
            m.current_execution.set(execution_id) if execution_id else m.current_execution.remove()
        )
        # `domain.agents.worth_recording` as a condition, so that an idle poll reads nothing.
        changed = (
            (m.current_execution.does_not_exist() | (m.current_execution != execution_id))
            if execution_id
            else m.current_execution.exists()
        )
        condition = m.sk.exists() & (
            m.last_seen_at.does_not_exist() | (m.last_seen_at < when - SEEN_EVERY) | changed
        )
        with translated():
            try:
                m(*self._key(tenant, agent_id)).update(actions=actions, condition=condition)
            except UpdateError as exc:
                if not is_conditional_failure(exc):
                    raise
