"""The names modules imported before ``spec.py`` existed: kept so those imports hold.

``Detail`` here is the code kind (:class:`spec.CustomDetail`); new code imports from
``spec`` directly.
"""

from __future__ import annotations

from .spec import Attribute, CustomDetail, Document, ResourceType

Detail = CustomDetail

__all__ = ["Attribute", "Detail", "Document", "ResourceType"]
