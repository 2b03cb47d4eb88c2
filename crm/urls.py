from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_new, name="import_new"),
    path("imports/mapping-example.toml", views.mapping_example, name="mapping_example"),
    path("imports/<id:import_id>/", views.import_detail, name="import_detail"),
    path("imports/<id:import_id>/link/", views.link_owner, name="link_owner"),
]
