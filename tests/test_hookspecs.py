"""The contract documents itself: every hook and every spec field carries documentation."""

from __future__ import annotations

import inspect
import json

import pytest

import camrig
from camrig import hookspecs

HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("camrig_")]


def test_every_hook_has_a_docstring():
    assert len(HOOKS) >= 6
    for name in HOOKS:
        assert (getattr(hookspecs, name).__doc__ or "").strip(), f"hook {name} is undocumented"


def test_every_hook_is_in_the_plugin_authors_guide():
    from pathlib import Path

    guide = (Path(__file__).parents[1] / "docs" / "plugin-authors.md").read_text()
    missing = [name for name in HOOKS if name not in guide]
    assert not missing, f"docs/plugin-authors.md does not mention {missing}"


REGISTERED = camrig.Host(env={}).accessory_types


@pytest.mark.parametrize("reg", REGISTERED, ids=[r.type.name for r in REGISTERED])
def test_every_spec_forbids_extras_documents_fields_and_exports_json_schema(reg):
    spec = reg.type.spec
    assert spec.model_config.get("extra") == "forbid"
    undocumented = [n for n, f in spec.model_fields.items() if not f.description]
    assert not undocumented, f"{reg.type.name}: fields without description: {undocumented}"
    schema = json.loads(json.dumps(spec.model_json_schema()))
    assert schema["type"] == "object" and schema.get("additionalProperties") is False
    assert set(schema.get("properties", {})) == set(spec.model_fields)


def test_public_api_is_listed():
    assert sorted(camrig.__all__) == sorted(set(camrig.__all__))
    for name in camrig.__all__:
        assert hasattr(camrig, name), name
