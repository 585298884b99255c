from django.contrib import admin
from django.urls import include, path

from itsm.api.main import api
from itsm.core import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("portal/", include("itsm.portal.urls")),
    path("reports/", include("itsm.reports.urls")),
    path("", include("itsm.workspace.urls")),
]
