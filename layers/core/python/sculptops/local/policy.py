"""How API Gateway reads a REQUEST authorizer's answer: an IAM policy over execute-api ARNs.

The local gateway allows a request only for a well-formed Allow statement whose resource covers
the method's ARN, and no Deny that covers it (fail closed), as API Gateway evaluates it.
"""

from __future__ import annotations

import re
from typing import Any


def allows(result: Any, method_arn: str) -> bool:
    """True only for a well-formed Allow covering this method and no Deny: fail closed."""
    if not isinstance(result, dict):
        return False
    statements = (result.get("policyDocument") or {}).get("Statement") or []
    allowed = False
    for st in statements:
        resources = st.get("Resource")
        resources = resources if isinstance(resources, list) else [resources]
        covers = any(arn_matches(r, method_arn) for r in resources if isinstance(r, str))
        if covers and st.get("Effect") == "Deny":
            return False
        if covers and st.get("Effect") == "Allow" and st.get("Action") == "execute-api:Invoke":
            allowed = True
    return allowed


def arn_matches(pattern: str, arn: str) -> bool:
    regex = "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(regex, arn) is not None
