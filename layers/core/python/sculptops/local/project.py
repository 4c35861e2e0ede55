"""Where the repository's files are, and a YAML loader for CloudFormation/Serverless files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml


def repo_root() -> Path:
    """The repository root: $SCULPTOPS_REPO, or found from this file (editable install)."""
    env = os.environ.get("SCULPTOPS_REPO")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "serverless.yml").is_file() and (parent / "infra").is_dir():
            return parent
    raise FileNotFoundError("cannot find the repository root; set SCULPTOPS_REPO")


class _CfnLoader(yaml.SafeLoader):
    """Safe YAML that keeps CloudFormation short-form tags (!Ref, !GetAtt, ...) as dicts."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
