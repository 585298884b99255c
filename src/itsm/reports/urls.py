from django.urls import path

from itsm.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("assets/plotly.min.js", views.plotly_js, name="plotly_js"),
    path("schedules/", views.schedules, name="schedules"),
    path("schedules/new/", views.schedule_edit, name="schedule_new"),
    path("schedules/<int:schedule_id>/", views.schedule_edit, name="schedule_edit"),
    path("schedules/<int:schedule_id>/delete/", views.schedule_delete, name="schedule_delete"),
    path("<str:name>/", views.report_page, name="report"),
    path("<str:name>/export.<str:fmt>", views.export, name="export"),
]
