from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_agent:  # type: ignore[union-attr]
        return redirect("portal:home")
    return render(request, "workspace/home.html")
