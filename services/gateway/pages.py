"""HTML pages: one shell per dashboard view (its script fills it), the sign-in and the API docs page."""

from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from services.gateway.auth import COOKIE
from services.gateway.problems import ProblemError

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html", headers={"Cache-Control": "no-cache"})


@router.get("/")
async def dashboard() -> Response:
    return _page("index.html")


@router.get("/runs/{run_id}")
async def run_page(run_id: str) -> Response:
    return _page("run.html")


@router.get("/feeds")
async def feeds_page() -> Response:
    return _page("feeds.html")


@router.get("/jobs")
async def jobs_page() -> Response:
    return _page("jobs.html")


@router.get("/jobs/{job_key:path}")
async def job_page(job_key: str) -> Response:
    """Job keys hold `/` and `:` (a source and a URL): the page reads its key from its own path."""
    return _page("job.html")


@router.get("/dead-letters")
async def dead_letters_page() -> Response:
    return _page("dead-letters.html")


@router.get("/favicon.ico")
async def favicon() -> Response:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


@router.get("/login")
async def login_page() -> Response:
    return _page("login.html")


@router.get("/api/docs")
async def api_docs() -> Response:
    return _page("docs.html")


@router.post("/login")
async def login(request: Request) -> Response:
    """Trade a token for a session cookie. A foreign page must not sign the browser in (login CSRF)."""
    gate = request.app.state.gate
    if not gate.origin_allowed(request):
        raise ProblemError(403, "sign in from the dashboard's own page")
    form = parse_qs((await request.body()).decode(errors="replace"))
    token = gate.token_of(form.get("token", [""])[0].strip())
    if token is None:
        return RedirectResponse("/login?failed=1", status_code=303)
    answer = RedirectResponse("/", status_code=303)
    answer.set_cookie(
        COOKIE,
        gate.session_for(token),
        max_age=int(gate.session_seconds),
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="strict",
    )
    return answer


@router.post("/logout")
async def logout(request: Request) -> Response:
    if not request.app.state.gate.origin_allowed(request):
        raise ProblemError(403, "sign out from the dashboard's own page")
    answer = RedirectResponse("/login", status_code=303)
    answer.delete_cookie(COOKIE, httponly=True, samesite="strict")
    return answer
