from django.contrib import admin

from insights.models import AnalysisRun, SellerSituationOverride, SellingTask, Situation, TaskWeightOverride


@admin.register(SellingTask)
class SellingTaskAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "kind", "prior_weight", "is_active", "is_default"]
    list_filter = ["is_active", "kind"]
    search_fields = ["name", "key"]


@admin.register(Situation)
class SituationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "priority", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(AnalysisRun)
class AnalysisRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "status", "reason", "period_start", "period_end", "seller_count", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in AnalysisRun._meta.fields]


@admin.register(SellerSituationOverride)
class SellerSituationOverrideAdmin(admin.ModelAdmin):
    list_display = ["seller", "situation", "author", "created_at"]
    readonly_fields = ["seller", "situation", "reason", "author", "created_at"]


@admin.register(TaskWeightOverride)
class TaskWeightOverrideAdmin(admin.ModelAdmin):
    list_display = ["situation", "task", "weight", "author", "created_at"]
    readonly_fields = ["situation", "task", "weight", "note", "author", "created_at"]
