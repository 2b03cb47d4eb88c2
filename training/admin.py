from django.contrib import admin

from training import models


@admin.register(models.Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "audience", "due_within_days", "is_active"]


@admin.register(models.Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "track",
        "format",
        "duration_minutes",
        "provider",
        "validity_months",
        "is_active",
    ]
    list_filter = ["track", "format", "is_active"]
    filter_horizontal = ["competencies", "prerequisites"]


@admin.register(models.Competency)
class CompetencyAdmin(admin.ModelAdmin):
    list_display = ["name", "key"]


@admin.register(models.Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "cost_per_participant", "currency", "is_active"]


@admin.register(models.Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "track", "starts_on", "ends_on"]


@admin.register(models.Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["course", "cohort", "starts_at", "capacity", "status"]
    list_select_related = ["course", "cohort"]


@admin.register(models.Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["person", "course", "status", "source", "due_on", "completed_on"]
    list_filter = ["status", "source"]
    list_select_related = ["person", "course"]
    raw_id_fields = ["person"]


admin.site.register(models.ProgramSettings)
