"""Report pages: the catalogue, one page per report (filters, charts, table), exports, the
packaged chart library, and managers' scheduled report subscriptions."""

from __future__ import annotations

from pathlib import Path

import plotly
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from itsm.core.errors import ActionError, InvalidInput
from itsm.reporting.actions import do_delete_scheduled_report, do_save_scheduled_report
from itsm.reporting.catalog import REPORTS, report_spec, run_report
from itsm.reporting.charts import chart_data, chart_policy
from itsm.reporting.exports import XLSX_CONTENT_TYPE, to_csv, to_json, to_xlsx
from itsm.reporting.models import ScheduledReport
from itsm.reporting.results import Report

from .access import managers_only, reports_required
from .forms import ReportFilterForm, ScheduledReportForm

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _params(request: HttpRequest) -> dict[str, str]:
    return {k: str(v) for k, v in request.GET.items() if str(v).strip() and k != "format"}


@reports_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html", {"reports": list(REPORTS.values())})


@reports_required
def report_page(request: HttpRequest, name: str) -> HttpResponse:
    if name not in REPORTS:
        raise Http404
    spec = report_spec(name)
    params = _params(request)
    form = ReportFilterForm(spec, data=request.GET or None)
    report: Report | None = None
    status = 200
    try:
        report = run_report(name, request.user, params)
    except InvalidInput as error:
        form.is_valid()
        form.add_error(error.field if error.field in form.fields else None, error.detail)
        status = 422
    query = urlencode(params)
    context = {
        "spec": spec,
        "reports": list(REPORTS.values()),
        "form": form,
        "report": report,
        "rows": report.table() if report else [],
        "charts": chart_data(report) if report else [],
        "query": query,
    }
    response = render(request, "reports/report.html", context, status=status)
    if context["charts"]:
        response["Content-Security-Policy"] = chart_policy()
    return response


@reports_required
def export(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    if name not in REPORTS or fmt not in {"csv", "xlsx", "json"}:
        raise Http404
    try:
        report = run_report(name, request.user, _params(request))
    except InvalidInput as error:
        return HttpResponse(
            f"{error.field}: {error.detail}\n", status=422, content_type="text/plain"
        )
    filename = f"{name}-{report.filters[0][1].split(' (')[0].replace(' to ', '_')}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(to_csv(report), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(to_xlsx(report), content_type=XLSX_CONTENT_TYPE)
    else:
        response = HttpResponse(to_json(report), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@reports_required
def plotly_js(request: HttpRequest) -> HttpResponseBase:
    """The chart library, served from the installed plotly package (no CDN, no copy in git)."""
    response = FileResponse(PLOTLY_JS.open("rb"), content_type="text/javascript")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@managers_only
def schedules(request: HttpRequest) -> HttpResponse:
    rows = ScheduledReport.objects.select_related("group", "owner").order_by("name", "pk")
    if not request.user.is_admin:  # type: ignore[union-attr]
        rows = rows.filter(owner_id=request.user.pk)
    return render(
        request,
        "reports/schedules.html",
        {"schedules": rows, "titles": {s.name: s.title for s in REPORTS.values()}},
    )


@managers_only
def schedule_edit(request: HttpRequest, schedule_id: int | None = None) -> HttpResponse:
    schedule = None
    if schedule_id is not None:
        schedule = get_object_or_404(ScheduledReport, pk=schedule_id)
        if schedule.owner_id != request.user.pk and not request.user.is_admin:  # type: ignore[union-attr]
            raise Http404
    if request.method == "POST":
        form = ScheduledReportForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = do_save_scheduled_report(
                    schedule,
                    actor=request.user,  # type: ignore[arg-type]
                    name=data["name"],
                    report=data["report"],
                    filters=form.report_filters(),
                    frequency=data["frequency"],
                    group=data["group"],
                    addresses=data["addresses"].splitlines(),
                    is_active=data["is_active"],
                )
            except ActionError as error:
                field = getattr(error, "field", None)
                form.add_error(field if field in form.fields else None, error.detail)
            else:
                messages.success(
                    request,
                    f"“{saved.name}” is scheduled; next run {saved.next_run_at:%Y-%m-%d %H:%M %Z}.",
                )
                return redirect("reports:schedules")
        status = 422
    else:
        initial = ScheduledReportForm.initial_for(schedule) if schedule else {"is_active": True}
        form = ScheduledReportForm(initial=initial)
        status = 200
    return render(
        request, "reports/schedule_form.html", {"form": form, "schedule": schedule}, status=status
    )


@managers_only
@require_POST
def schedule_delete(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = get_object_or_404(ScheduledReport, pk=schedule_id)
    try:
        do_delete_scheduled_report(schedule, actor=request.user)  # type: ignore[arg-type]
    except ActionError:
        raise Http404 from None
    messages.success(request, f"“{schedule.name}” is no longer mailed.")
    return redirect("reports:schedules")
