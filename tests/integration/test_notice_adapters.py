"""The adapters behind expiry notices and leaked-token revocation, on a real DynamoDB API (moto;
DynamoDB Local with the marker) and moto's EventBridge."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
from moto import mock_aws

from sculptops.adapters.eventbridge import EventBridgePublisher
from sculptops.bootstrap import Container
from sculptops.domain.expiry_notices import OutboundEvent, expires_on
from sculptops.domain.identity import RequestOrigin
from sculptops.services.tokens import NewToken
from tests.conftest import session
from tests.fakes import FakeClock
from tests.integration.conftest import on_dynamodb_local_too


def test_a_new_token_is_found_by_its_expiry_day_and_agent_tokens_are_not(real: Container) -> None:
    # Given a personal token expiring in 3 days and an agent token (no expiry)
    created = real.tokens.create(
        session(real, "member@demo"), NewToken(name="ci", expires_in_days=3)
    )
    real.agents.register(session(real, "admin@demo", "demo"), "a1")
    assert created.token.expires_at is not None
    # When the expiry-day index is read for that day
    day = created.token.expires_at.date()
    found = real.token_lookup.expiring_on(day)
    # Then it lists the personal token only, and nothing for the day before
    assert [(t.id, t.owner, t.name) for t in found] == [(created.token.id, "member@demo", "ci")]
    assert found[0].expires_at == created.token.expires_at
    assert real.token_lookup.expiring_on(day - timedelta(days=1)) == []
    assert expires_on(created.token.expires_at) == day.isoformat()


@on_dynamodb_local_too
def test_the_job_writes_each_notice_once_on_dynamodb(real: Container) -> None:
    real.tokens.create(session(real, "member@demo"), NewToken(name="ci", expires_in_days=3))
    first, second = real.expiry_notices.run(), real.expiry_notices.run()
    assert (first.notices_written, second.notices_written, second.already_notified) == (1, 0, 1)
    notes = real.notification_store.list_for_user("member@demo", None, 10).notifications
    assert [n.type for n in notes] == ["token.expiring"]


def test_get_many_reads_found_digests_and_skips_unknown_and_duplicates(real: Container) -> None:
    created = real.tokens.create(session(real, "admin@demo"), NewToken(name="x"))
    digest = created.token.digest
    found = real.token_lookup.get_many(
        [digest, "0" * 64, digest, *(f"{i:064x}" for i in range(150))]
    )
    assert [t.id for t in found] == [created.token.id]


@on_dynamodb_local_too
def test_a_leaked_token_is_revoked_in_one_transaction_on_dynamodb(real: Container) -> None:
    created = real.tokens.create(session(real, "member@demo"), NewToken(name="ci"))
    assert isinstance(real.clock, FakeClock)
    real.clock.advance(seconds=1)  # newest first: after the token's creation
    report = real.leaks.revoke([created.value, "junk"], RequestOrigin("198.51.100.1"))
    assert report.revoked == 1
    assert real.token_store.get(created.token.digest) is None
    assert real.token_ledger.tenant_token("demo", created.token.id) is None
    notes = real.notification_store.list_for_user("member@demo", None, 10).notifications
    assert [n.type for n in notes] == ["token.revoked_as_leaked"]
    for tenant in ("demo", "acme"):
        events = real.audit_log.list_events(tenant, None, 10, None, None).events
        assert [e.type.value for e in events][:1] == ["token.revoked_as_leaked"]
    # Posting it again: nothing more happens
    assert real.leaks.revoke([created.value], RequestOrigin()).revoked == 0


def test_eventbridge_publisher_puts_events_on_the_bus_in_batches_of_ten() -> None:
    with mock_aws():
        # Given a bus whose rule sends sculptops events to a queue
        events = boto3.client("events", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        events.create_event_bus(Name="ops")
        queue = sqs.create_queue(QueueName="ops")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="tokens", EventBusName="ops", EventPattern=json.dumps({"source": ["sculptops"]})
        )
        events.put_targets(Rule="tokens", EventBusName="ops", Targets=[{"Id": "q", "Arn": arn}])
        publisher = EventBridgePublisher(lambda: events, "ops")
        # When 12 events are published
        sent = [
            OutboundEvent("sculptops", "Token Expiring", {"token_id": f"tok_{i}", "n": i})
            for i in range(12)
        ]
        assert publisher.publish(sent) == 12
        # Then the queue got them, as EventBridge shapes them
        got = []
        for _ in range(10):
            batch = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            got += [json.loads(m["Body"]) for m in batch]
            if len(got) >= 12 or not batch:
                break
        assert len(got) == 12
        assert {g["detail-type"] for g in got} == {"Token Expiring"}
        assert sorted(g["detail"]["n"] for g in got) == list(range(12))


def test_an_unreachable_bus_is_logged_not_raised() -> None:
    class Broken:
        def put_events(self, **_: object) -> dict[str, object]:
            raise ConnectionError("down")

    publisher = EventBridgePublisher(Broken, "default")
    assert publisher.publish([OutboundEvent("sculptops", "Token Expiring", {})]) == 0
