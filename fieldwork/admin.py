from django.contrib import admin

from fieldwork.models import PiiAccessLog, Visit


@admin.register(PiiAccessLog)
class PiiAccessLogAdmin(admin.ModelAdmin):
    """Read-only: the log is evidence, nobody edits or deletes it."""

    list_display = ["at", "user", "household", "via"]
    list_filter = ["via"]
    search_fields = ["user__username", "household__address"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["visited_at", "kind", "user", "household"]
    list_filter = ["kind"]
    raw_id_fields = ["household"]
