"""Shared model pieces: prefixed primary keys, timestamps, and the columns' lengths."""

from __future__ import annotations

from tortoise import fields, models

from gatehouse.models.ids import id_factory


def column_length(model: type[models.Model], field: str) -> int:
    """The length a CharField's column holds: for the checks that must agree with it."""
    length: int = model._meta.fields_map[field].max_length  # type: ignore[attr-defined]  # noqa: SLF001
    return length


def prefixed_pk(prefix: str) -> fields.CharField[str]:
    return fields.CharField(primary_key=True, max_length=40, default=id_factory(prefix))


class TimestampedModel(models.Model):
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        abstract = True
