from django.urls import path

from itsm.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("report/<str:number>/", views.reported, name="reported"),
    path("tickets/", views.my_tickets, name="tickets"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<str:number>/reply/", views.reply, name="reply"),
    path("tickets/<str:number>/close/", views.close, name="close"),
    path("tickets/<str:number>/reopen/", views.reopen, name="reopen"),
    path(
        "tickets/<str:number>/attachments/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
]
