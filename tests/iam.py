"""The DynamoDB grants of a role in a CloudFormation template (the packaged one, or
infra/roles.yml as written): what the IAM tests compare with what the code calls."""

from __future__ import annotations

from typing import Any


def grants(template: dict[str, Any], role: str) -> dict[str, set[str]]:
    """resource (table logical id, or `Table/index/name`) -> actions, for data statements."""
    out: dict[str, set[str]] = {}
    for policy in template["Resources"][role]["Properties"]["Policies"]:
        for st in policy["PolicyDocument"]["Statement"]:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            for res in st["Resource"]:
                if "Fn::GetAtt" in res:
                    key = res["Fn::GetAtt"][0]
                elif "Fn::Sub" in res and "/index/" in str(res["Fn::Sub"]):
                    sub = str(res["Fn::Sub"])
                    key = (
                        sub.split(".Arn}", maxsplit=1)[0].removeprefix("${")
                        + sub.rsplit("}", maxsplit=1)[-1]
                    )
                else:
                    continue
                out.setdefault(key, set()).update(actions)
    return out
