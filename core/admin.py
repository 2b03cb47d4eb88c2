from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.models import AuditEvent

admin.site.site_header = "Promoted administration"
admin.site.site_title = "Promoted admin"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log is evidence: readable by administrators, never editable."""

    list_display = ("at", "actor", "action", "target_type", "target_id", "summary")
    list_filter = ("action", "target_type")
    search_fields = ("summary", "target_id", "actor__email")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
