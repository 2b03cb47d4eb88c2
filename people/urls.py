from django.urls import path

from people import import_views, views

app_name = "people"

urlpatterns = [
    path("people/", views.directory, name="directory"),
    path("people/<id:person_id>/", views.person, name="person"),
    path("people/<id:person_id>/team/", views.team, name="team"),
    path("imports/people/", import_views.import_list, name="import_list"),
    path("imports/people/upload/", import_views.import_upload, name="import_upload"),
    path("imports/people/template.csv", import_views.import_template, name="import_template"),
    path("imports/people/<id:import_id>/", import_views.import_detail, name="import_detail"),
    path("imports/people/<id:import_id>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("imports/people/<id:import_id>/problems.csv", import_views.import_errors, name="import_errors"),
]
