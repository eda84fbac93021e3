"""A deleted photo row (its own, or its incident's, by cascade) takes its files along, once
the deletion is committed: a rolled-back delete keeps them."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from layers.incidents.models import IncidentPhoto


@receiver(post_delete, sender=IncidentPhoto, dispatch_uid="incidents.photo_files")
def _remove_photo_files(sender, instance: IncidentPhoto, **kwargs) -> None:
    names = [(f.storage, f.name) for f in (instance.file, instance.thumbnail) if f.name]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])
