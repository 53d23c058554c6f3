"""Shared model pieces: prefixed primary keys and timestamps."""

from __future__ import annotations

from tortoise import fields, models

from gatehouse.models.ids import id_factory


def prefixed_pk(prefix: str) -> fields.CharField[str]:
    return fields.CharField(primary_key=True, max_length=40, default=id_factory(prefix))


class TimestampedModel(models.Model):
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        abstract = True
