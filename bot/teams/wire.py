"""Bot Framework activities as JSON-ready dicts, without msrest's generic serializer.

msrest walks every attribute through key transformers and validators: about 0.5 ms for one
answer activity, paid twice per message (measuring its size, then sending it) on the event
loop. This walks the same attribute maps directly and gives the same dict for the models the
bot sends; tests/teams/test_wire.py compares the two on every kind of activity the bot sends.
Anything this does not know (XML models, flattened keys, read-only fields) goes to msrest.
"""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Any

from msrest import Serializer
from msrest.serialization import Model

_DATE_TYPES = frozenset({"iso-8601", "rfc-1123", "unix-time", "date", "time", "duration"})
_plain_models: dict[type, bool] = {}  # model class -> whether the fast path handles it


def _is_plain(cls: type) -> bool:
    known = _plain_models.get(cls)
    if known is None:
        attributes = getattr(cls, "_attribute_map", {})
        known = (
            not getattr(cls, "_xml_map", None)
            and not any(rule.get("readonly") for rule in getattr(cls, "_validation", {}).values())
            and not any("." in desc["key"] for desc in attributes.values())
        )
        _plain_models[cls] = known
    return known


def to_wire(value: Any) -> Any:
    """The JSON form of a model, list, dict or basic value, as msrest's serialize() gives it."""
    if isinstance(value, Model):
        return _model(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if isinstance(value, datetime.datetime):
        return Serializer.serialize_iso(value)
    return value


def _model(obj: Model) -> dict[str, Any]:
    if not _is_plain(type(obj)):
        return obj.serialize()
    out: dict[str, Any] = {}
    for attr, desc in obj._attribute_map.items():
        key = desc["key"]
        if attr == "additional_properties" and key == "":
            if obj.additional_properties:
                out.update(obj.additional_properties)
            continue
        value = getattr(obj, attr, None)
        if value is None:
            continue
        if desc["type"] in _DATE_TYPES:  # rare on outgoing activities: msrest's own formats
            out[key] = Serializer().serialize_data(value, desc["type"])
        else:
            out[key] = to_wire(value)
    return out
