from django.contrib import admin

from people.models import OrgUnit, Person


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    readonly_fields = ("path", "depth")
    raw_id_fields = ("parent",)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("employee_id", "first_name", "last_name", "email", "function", "job_title", "manager", "status")
    list_filter = ("function", "status", "region")
    search_fields = ("employee_id", "first_name", "last_name", "email")
    list_select_related = ("manager",)
    readonly_fields = ("path", "depth")
    raw_id_fields = ("manager", "org_unit", "user")
