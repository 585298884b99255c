from django.contrib.auth import views as auth_views
from django.urls import path

from itsm.workspace.views import create, dashboard, home, profile, queues, tickets

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("queues/", queues.queue, name="queue"),
    path("queues/export.csv", queues.export_csv, name="queue_export"),
    path("queues/bulk/", queues.bulk, name="queue_bulk"),
    path("queues/views/", queues.save_view, name="queue_save_view"),
    path("queues/views/<int:view_id>/delete/", queues.delete_view, name="queue_delete_view"),
    path("tickets/<str:number>/", tickets.ticket_page, name="ticket"),
    path("tickets/<str:number>/edit/", tickets.edit_details, name="ticket_edit"),
    path("tickets/<str:number>/transition/", tickets.transition, name="ticket_transition"),
    path("tickets/<str:number>/reply/", tickets.reply, name="ticket_reply"),
    path("tickets/<str:number>/take/", tickets.assign_to_me, name="ticket_take"),
    path("tickets/<str:number>/watch/", tickets.watch, name="ticket_watch"),
    path("tickets/<str:number>/link/", tickets.link, name="ticket_link"),
    path(
        "tickets/<str:number>/attachments/<int:attachment_id>/",
        tickets.attachment,
        name="ticket_attachment",
    ),
    path("incidents/new/", create.create_incident, name="incident_create"),
    path("lookups/<str:kind>/", create.lookup, name="lookup"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("profile/", profile.profile, name="profile"),
    path("profile/availability/", profile.set_availability, name="profile_availability"),
    path("profile/tokens/", profile.create_token, name="profile_token_create"),
    path(
        "profile/tokens/<int:token_id>/revoke/", profile.revoke_token, name="profile_token_revoke"
    ),
]
