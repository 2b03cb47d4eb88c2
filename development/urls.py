from django.urls import path

from development import views

app_name = "development"

urlpatterns = [
    path("", views.index, name="index"),
    path("plans/<id:person_id>/", views.plan, name="plan"),
    path("plans/<id:person_id>/refresh/", views.plan_refresh, name="plan_refresh"),
    path("plans/<id:person_id>/modules/add/", views.module_add, name="module_add"),
    path("plans/<id:person_id>/modules/<id:module_id>/due/", views.module_due, name="module_due"),
    path("plans/<id:person_id>/check-ins/", views.check_in, name="check_in"),
    path("plans/<id:person_id>/evidence/new/", views.evidence_new, name="evidence_new"),
    path("evidence/<id:evidence_id>/", views.evidence_detail, name="evidence"),
    path("evidence/<id:evidence_id>/review/", views.evidence_review, name="evidence_review"),
    path("evidence/<id:evidence_id>/resubmit/", views.evidence_resubmit, name="evidence_resubmit"),
    path("evidence/<id:evidence_id>/attachment/", views.evidence_attachment, name="evidence_attachment"),
    path("reviews/", views.reviews, name="reviews"),
    path("imports/", views.imports, name="imports"),
    path("imports/<id:import_id>/", views.import_detail, name="import_detail"),
    path("learning-records/", views.learning_records, name="learning_records"),
]
