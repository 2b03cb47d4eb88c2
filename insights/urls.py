from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.me, name="me"),
    path("my-team/", views.my_team, name="my_team"),
    path("situations/", views.situations, name="situations"),
    path("situations/definitions/", views.situation_rules, name="situation_rules"),
    path("situations/definitions/<id:situation_id>/", views.situation_edit, name="situation_edit"),
    path("situations/<id:situation_id>/", views.situation, name="situation"),
    path("situations/<id:situation_id>/tasks/<id:task_id>/override/", views.weight_override,
         name="weight_override"),
    path("sellers/<id:person_id>/", views.seller, name="seller"),
    path("sellers/<id:person_id>/placement/", views.seller_placement, name="seller_placement"),
    path("managers/<id:person_id>/", views.manager, name="manager"),
    path("gaps/", views.gaps, name="gaps"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("tasks/<id:task_id>/", views.task, name="task"),
    path("tasks/<id:task_id>/edit/", views.task_edit, name="task_edit"),
    path("runs/", views.runs, name="runs"),
    path("runs/<id:run_id>/status/", views.run_status, name="run_status"),
]
