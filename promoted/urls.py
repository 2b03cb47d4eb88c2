from django.contrib import admin
from django.urls import include, path

from api.urls import api

urlpatterns = [
    path("", include("home.urls")),
    path("", include("people.urls")),
    path("crm/", include("crm.urls")),
    path("insights/", include("insights.urls")),
    path("training/", include("training.urls")),
    path("development/", include("development.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
