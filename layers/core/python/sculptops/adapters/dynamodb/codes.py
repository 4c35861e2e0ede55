"""DynamoDB error codes the adapters branch on (never on message text). No SDK import, so the
authorizer's botocore-only reads (`auth_reads`) share them without loading pynamodb."""

from __future__ import annotations

# Codes after which a retry later can succeed: the client gets 503 with Retry-After.
RETRYABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
        "LimitExceededException",
    }
)

CONDITIONAL_FAILURE = "ConditionalCheckFailedException"
