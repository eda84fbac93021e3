"""GeoDjango admin for every layer, with offline map widgets and masked personal data."""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from layers.accounts import visibility
from layers.facilities.models import Facility, FacilityType
from layers.grids.models import Community, District, Grid, GridAssignment, Street
from layers.incidents.models import Department, Incident, IncidentCategory, Notification
from layers.maps.widgets import OfflineOSMWidget
from layers.pages.admin_lifecycle import IncidentLifecycleAdmin, TransitionInline
from layers.people import masking
from layers.people.models import Household, PiiAccessLog, Visit


class MapAdmin(GISModelAdmin):
    gis_widget = OfflineOSMWidget


@admin.register(District)
class DistrictAdmin(MapAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Street)
class StreetAdmin(MapAdmin):
    list_display = ["code", "name", "district"]
    list_filter = ["district"]
    search_fields = ["code", "name"]


@admin.register(Community)
class CommunityAdmin(MapAdmin):
    list_display = ["code", "name", "street"]
    list_filter = ["street"]
    search_fields = ["code", "name"]


class AssignmentInline(admin.TabularInline):
    model = GridAssignment
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Grid)
class GridAdmin(MapAdmin):
    list_display = ["code", "name", "community"]
    list_filter = ["community__street", "community"]
    search_fields = ["code", "name"]
    inlines = [AssignmentInline]

    def get_queryset(self, request):
        return visibility.visible_grids(request.user)

    def get_readonly_fields(self, request, obj=None):
        # A code is an identifier: left empty it is generated, once set it stays.
        return ["code"] if obj and obj.code else []


@admin.register(GridAssignment)
class GridAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "grid", "role", "since"]
    list_filter = ["role", "grid__community"]
    autocomplete_fields = ["user", "grid"]


@admin.register(FacilityType)
class FacilityTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level_minutes", "threshold_minutes", "color", "sort_order"]
    list_editable = ["threshold_minutes", "color", "sort_order"]


@admin.register(Facility)
class FacilityAdmin(MapAdmin):
    list_display = ["name", "type", "source", "source_id", "synthetic"]
    list_filter = ["type", "source", "synthetic"]
    search_fields = ["name", "address", "source_id"]


@admin.register(Household)
class HouseholdAdmin(MapAdmin):
    """Scoped like every other view (layers.accounts.visibility); full personal data only for
    users allowed to see it, and each opened record is logged."""

    list_display = ["id", "masked_head", "address", "residents", "masked_id_number", "masked_phone", "tags",
                    "grid", "synthetic"]
    list_filter = ["grid__community", "synthetic"]
    search_fields = ["address", "external_id"]
    readonly_fields = ["grid"]

    def get_queryset(self, request):
        return visibility.visible_households(request.user)

    def get_exclude(self, request, obj=None):
        return [] if visibility.can_see_pii(request.user) else ["id_number", "phone", "head_name"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if visibility.can_see_pii(request.user) and request.method == "GET":
            from layers.accounts.pii import reveal

            reveal(request.user, int(object_id), via="admin")
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="户主")
    def masked_head(self, obj: Household) -> str:
        return masking.mask_name(obj.head_name)

    @admin.display(description="身份证号")
    def masked_id_number(self, obj: Household) -> str:
        return obj.id_number_masked

    @admin.display(description="联系电话")
    def masked_phone(self, obj: Household) -> str:
        return obj.phone_masked


@admin.register(Incident)
class IncidentAdmin(IncidentLifecycleAdmin, MapAdmin):
    """Status and its dates are read-only; moves go through the lifecycle (admin_lifecycle)."""

    list_display = ["id", "category", "status", "department", "reported_at", "grid", "synthetic"]
    list_filter = ["category", "status", "department", "synthetic", "grid__community"]
    search_fields = ["description", "address", "external_id"]
    date_hierarchy = "reported_at"
    # duplicate_of: set by merging (layers.incidents.duplicates.merge), which also cancels the report.
    readonly_fields = ["grid", "duplicate_of"]
    inlines = [TransitionInline]

    def get_queryset(self, request):
        return visibility.visible_incidents(request.user)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    """处置部门 and their people (who sees and handles the cases sent to each)."""

    list_display = ["name", "kind", "district", "active"]
    list_filter = ["kind", "district", "active"]
    search_fields = ["name"]
    filter_horizontal = ["users"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: written by the lifecycle and the reminder job."""

    list_display = ["created_at", "user", "kind", "text", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["incident"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IncidentCategory)
class IncidentCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "group", "accept_limit_hours", "dispatch_limit_hours", "time_limit_hours", "color"]
    list_editable = ["accept_limit_hours", "dispatch_limit_hours", "time_limit_hours", "color"]


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
