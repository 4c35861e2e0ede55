"""Cost per million requests from the measured request counts and public list prices.

Prices (us-east-1, on-demand, as published on the AWS pricing pages named below):
- API Gateway REST API: $3.50 per million requests (first 333 M/month) — aws.amazon.com/api-gateway/pricing
- Lambda x86_64: $0.20 per million invocations, $0.0000166667 per GB-second — aws.amazon.com/lambda/pricing
- DynamoDB on-demand: $0.125 per million read request units, $0.625 per million write request
  units (strongly consistent read of ≤ 4 KB = 1 RRU; write of ≤ 1 KB = 1 WRU, per index too;
  transactional = 2×) — aws.amazon.com/dynamodb/pricing/on-demand
- AWS WAF: $0.60 per million requests inspected — aws.amazon.com/waf/pricing
"""

from __future__ import annotations

APIGW = 3.50
LAMBDA_REQ = 0.20
GB_SECOND = 0.0000166667
RRU = 0.125
WRU = 0.625
WAF = 0.60
AUTHORIZER_GB = 1.0  # serverless.yml: authorizer memorySize 1024
FUNCTION_GB = 0.5  # provider memorySize 512

# Billed warm durations assumed on Lambda (1 ms granularity): the measured CPU (see the
# authorizer table) plus ~4 ms per DynamoDB round trip in-region.
AUTH_MS_TOKEN = 10
AUTH_MS_JWT = 6
FUNCTION_MS = 20


def _per_million(auth_ms: float, fn_ms: float, rru: float, wru: float) -> dict[str, float]:
    return {
        "API Gateway": APIGW,
        "Lambda invocations": 2 * LAMBDA_REQ,
        "Lambda GB-s": (AUTHORIZER_GB * auth_ms + FUNCTION_GB * fn_ms) / 1000 * GB_SECOND * 1e6,
        "DynamoDB": rru * RRU + wru * WRU,
        "WAF": WAF,
    }


def rows(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    token_reads = sum(counts["authorize: token (warm)"].values())
    jwt_reads = sum(counts["authorize: JWT (JWKS cached)"].values())
    # GET /me reads the user and one tenant per membership (admin@demo: one).
    me_reads = 2
    trigger = counts["trigger"]
    trigger_reads = trigger.get("GetItem", 0)
    # The execution head is written to the table and two indexes (by_tenant, queued).
    trigger_writes = trigger.get("PutItem", 0) * 3
    poll_reads = counts["empty poll (caught up)"].get("Query", 0)
    return {
        "token-authorized GET /me": _per_million(
            AUTH_MS_TOKEN, FUNCTION_MS, token_reads + me_reads, 0
        ),
        "JWT-authorized GET /me": _per_million(AUTH_MS_JWT, FUNCTION_MS, jwt_reads + me_reads, 0),
        "trigger (POST /executions)": _per_million(
            AUTH_MS_TOKEN, FUNCTION_MS, token_reads + trigger_reads, trigger_writes
        ),
        "log poll (GET /logs)": _per_million(
            AUTH_MS_TOKEN, FUNCTION_MS, token_reads + poll_reads, 0
        ),
    }


def table(counts: dict[str, dict[str, int]]) -> str:
    data = rows(counts)
    cols = ["API Gateway", "Lambda invocations", "Lambda GB-s", "DynamoDB", "WAF"]
    lines = [
        (__doc__ or "").strip(),
        "",
        f"Assumed billed durations: authorizer {AUTH_MS_TOKEN} ms (token) / {AUTH_MS_JWT} ms "
        f"(JWT) at 1024 MB, function {FUNCTION_MS} ms at 512 MB.",
        "",
        "| request, per million | " + " | ".join(cols) + " | total |",
        "|---|" + "---|" * (len(cols) + 1),
    ]
    for name, parts in data.items():
        total = sum(parts.values())
        lines.append(
            f"| {name} | " + " | ".join(f"${parts[c]:.2f}" for c in cols) + f" | **${total:.2f}** |"
        )
    poll = sum(data["log poll (GET /logs)"].values()) / 1e6
    polls = 10 * 60 // 2
    lines.append("")
    lines.append(
        f"A follower polling a 10-minute run every 2 s makes {polls} polls: "
        f"**${poll * polls:.4f}** per followed run (${poll * polls * 1e6:.0f} per "
        "million followed runs)."
    )
    return "\n".join(lines)


TARGETS = """## Targets

See the tables above; each target, met or missed:

- Authorizer imports no fastapi, starlette or pydantic: **met** (cold-start table, web stack
  column); it creates its DynamoDB client once per container (built at import).
- Authorizer cold import ≤ 0.5 × the tokens function's: RATIO_VERDICT. Both import botocore
  (through pynamodb), about 550 ms of either number here (`python -X importtime`); the
  authorizer imports nothing else heavy (no YAML, no web stack, no services it does not use).
  Its init also creates the DynamoDB client on purpose (about 100 ms here), which takes that
  cost off the first request (first invocation ~110 ms instead of ~390 ms). Next step: a
  botocore-free GetItem (SigV4-signed HTTPS through the runtime's urllib3) for the
  authorizer's two reads, which would leave it a fraction of the tokens function's import.
- Malformed token refused in ≤ 0.2 ms with 0 reads: **met** (CPU table; 0 requests).
- Token authorization ≤ 2 × the bound: **missed**. The bound is one digest and one dict
  lookup; a real authorization also validates the format and checksum, reads the owner
  (memberships, revocation watermark), resolves the tenant and builds the policy and context,
  about 10 × the bound in CPU, all of it tens of microseconds against the milliseconds of the
  two DynamoDB reads. Next step: only if profiles on Lambda show it matters.
- Authorized request by token: ≤ 2 reads, 0 writes on the hot path: **met** (2 GetItem;
  last_used_at is written at most every 5 minutes per token).
- By JWT: ≤ 1 read, JWKS fetched once per container: **met**.
- Revoke all of N tokens: about N/25 batch writes plus the reads to find them: **met**.
- One log batch of 100 lines ≤ 2 writes: **met** (one TransactWriteItems of the head and one chunk).
- Empty poll: 1 read: **met** (one Query returns the new lines and the head together).
- Tail of a 100,000-line log costs the same requests as of a 1,000-line log: **met** (1 Query
  each). Times differ on moto, whose Query walks the whole partition in Python; DynamoDB's does
  not (a key-range read)."""
