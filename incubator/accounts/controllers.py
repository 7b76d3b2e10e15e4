"""Account pages: register, sign in and out, profile, people, roles."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Response, Template

from incubator.accounts import queries, services, tokens
from incubator.accounts.identity import Actor
from incubator.accounts.policies import can_set_roles
from incubator.accounts.roles import ALL_ROLES, Role, role_names
from incubator.accounts.throttle import LoginThrottle
from incubator.challenges import queries as challenge_queries
from incubator.errors import Busy, TooManyAttempts, ValidationFailed
from incubator.i18n import SUPPORTED_LOCALES, current_locale, using_locale
from incubator.i18n import gettext as _
from incubator.ideas.stages import stage_names
from incubator.settings import get_settings
from incubator.teams import queries as team_queries
from incubator.web.auth import requires_role, sign_in, sign_out, signed_in_identity
from incubator.web.forms import read_form
from incubator.web.locale import SESSION_LOCALE_KEY
from incubator.web.rendering import redirect_after_post, render, safe_next

AnyRequest = Request[Any, Any, Any]


def _login_retry_later(
    request: AnyRequest, context: dict[str, Any], why: Exception, seconds: int, status: int
) -> Response[Any]:
    """The sign-in form again, saying why and when to retry (throttled or busy)."""
    context["errors"] = {"form": str(why)}
    return render(
        request,
        "accounts/login.html.jinja2",
        context,
        status_code=status,
        headers={"Retry-After": str(seconds)},
    )


def _client_address(request: AnyRequest) -> str:
    return request.client.host if request.client else "unknown"


def login_throttle(request: AnyRequest) -> LoginThrottle:
    settings = get_settings()
    return LoginThrottle(
        request.app.stores.get("login-throttle"),
        limit=settings.login_failure_limit,
        window_seconds=settings.login_failure_window_seconds,
    )


class AuthController(Controller):
    opt = {"public": True}

    @get("/register", name="register")
    async def register_form(self, request: AnyRequest) -> Template | Redirect:
        if signed_in_identity(request) or request.session.get("person_id"):
            return Redirect("/")
        return render(request, "accounts/register.html.jinja2", await self._register_context())

    @post("/register")
    async def register(self, request: AnyRequest) -> Response[Any]:
        form = await read_form(request)
        values = {key: form.text(key) for key in ("email", "name", "department")}
        try:
            person = await services.register(
                email=values["email"],
                name=values["name"],
                password=form.raw("password"),
                department=values["department"],
                locale=current_locale(),
            )
        except ValidationFailed as failed:
            context = await self._register_context(values=values, errors=failed.errors)
            return render(request, "accounts/register.html.jinja2", context, status_code=400)
        sign_in(request, person.id)
        flash(
            request,
            _("Welcome, %(name)s. Add your skills so teams can find you.", name=person.name),
            category="success",
        )
        return redirect_after_post(request, "/profile")

    async def _register_context(
        self, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return {
            "values": values or {},
            "errors": errors or {},
            "departments": await queries.department_names(),
        }

    @get("/login", name="login")
    async def login_form(
        self,
        request: AnyRequest,
        next_url: Annotated[str | None, QueryParameter(name="next")] = None,
    ) -> Template:
        context = {"values": {}, "errors": {}, "next": safe_next(next_url, "")}
        return render(request, "accounts/login.html.jinja2", context)

    @post("/login")
    async def login(self, request: AnyRequest) -> Response[Any]:
        form = await read_form(request)
        email, password = form.text("email"), form.raw("password")
        next_url = safe_next(form.text("next"), "/")
        throttle = login_throttle(request)
        address = _client_address(request)
        context: dict[str, Any] = {"values": {"email": email}, "next": form.text("next")}
        try:
            await throttle.check(email, address)
        except TooManyAttempts as refused:
            return _login_retry_later(request, context, refused, refused.retry_after_seconds, 429)
        try:
            person = await services.authenticate(email=email, password=password)
        except Busy as busy:
            return _login_retry_later(request, context, busy, busy.retry_after_seconds, 503)
        if person is None:
            await throttle.failed(email, address)
            context["errors"] = {
                "form": _(
                    "That email and password do not match an account. Check both and try again."
                )
            }
            return render(request, "accounts/login.html.jinja2", context, status_code=400)
        await throttle.succeeded(email, address)
        sign_in(request, person.id)
        return redirect_after_post(request, next_url)

    @post("/logout", opt={"public": False})
    async def logout(self, request: AnyRequest) -> Response[Any]:
        sign_out(request)
        return redirect_after_post(request, "/login")

    @post("/locale")
    async def switch_locale(self, request: AnyRequest) -> Response[Any]:
        """The language switcher: remembered on the profile, or in the session when anonymous."""
        form = await read_form(request)
        locale = form.text("locale")
        if locale in SUPPORTED_LOCALES:
            identity = signed_in_identity(request)
            person_id = identity.id if identity else request.session.get("person_id")
            if isinstance(person_id, int):
                await services.set_locale(person_id, locale)
            request.session[SESSION_LOCALE_KEY] = locale
        return Redirect(safe_next(form.text("next"), "/"), status_code=303)


class ProfileController(Controller):
    @get("/profile", name="profile")
    async def show(self, request: Request[Actor, Any, Any]) -> Template:
        values = await self._profile_values(request.user.id)
        context = await self._context(values, {}, person_id=request.user.id)
        return render(request, "accounts/profile.html.jinja2", context)

    @post("/profile")
    async def update(self, request: Request[Actor, Any, Any]) -> Response[Any]:
        form = await read_form(request)
        change = services.ProfileChange(
            name=form.text("name"),
            department=form.text("department"),
            skills=form.text("skills"),
            bio=form.text("bio"),
            locale=form.text("locale"),
        )
        try:
            await services.update_profile(request.user, change)
        except ValidationFailed as failed:
            values = {
                "name": change.name,
                "department": change.department,
                "skills": change.skills,
                "bio": change.bio,
                "locale": change.locale,
            }
            return render(
                request,
                "accounts/profile.html.jinja2",
                await self._context(values, failed.errors, person_id=request.user.id),
                status_code=400,
            )
        request.session[SESSION_LOCALE_KEY] = change.locale
        with using_locale(change.locale):
            flash(request, _("Your profile is saved."), category="success")
        return redirect_after_post(request, "/profile")

    async def _context(
        self,
        values: dict[str, str],
        errors: dict[str, str],
        *,
        person_id: int,
        new_token: str | None = None,
    ) -> dict[str, Any]:
        return {
            "values": values,
            "errors": errors,
            "departments": await queries.department_names(),
            "tokens": await tokens.tokens_of(person_id),
            "new_token": new_token,
        }

    async def _profile_values(self, person_id: int) -> dict[str, str]:
        profile = await queries.person_profile(person_id)
        if profile is None:
            raise NotFoundException()
        return {
            "name": profile["name"],
            "department": profile["department"] or "",
            "skills": ", ".join(profile["skills"]),
            "bio": profile["bio"],
            "locale": profile["locale"],
        }

    @post("/profile/tokens")
    async def create_token(self, request: Request[Actor, Any, Any]) -> Response[Any]:
        """A personal API token, shown once on the page that answers."""
        form = await read_form(request)
        values = await self._profile_values(request.user.id)
        try:
            token = await tokens.create_token(request.user, form.text("token_name"))
        except ValidationFailed as failed:
            context = await self._context(values, failed.errors, person_id=request.user.id)
            return render(request, "accounts/profile.html.jinja2", context, status_code=400)
        context = await self._context(values, {}, person_id=request.user.id, new_token=token)
        return render(
            request, "accounts/profile.html.jinja2", context, headers={"Cache-Control": "no-store"}
        )

    @post("/profile/tokens/{token_id:int}/revoke")
    async def revoke_token(
        self, request: Request[Actor, Any, Any], token_id: FromPath[int]
    ) -> Response[Any]:
        await tokens.revoke_token(request.user, token_id)
        flash(
            request,
            _("The token is revoked: scripts using it are refused from now on."),
            category="success",
        )
        return redirect_after_post(request, "/profile#tokens")


async def _person_context(
    actor: Actor, profile: dict[str, Any], errors: dict[str, str] | None = None
) -> dict[str, Any]:
    """A public profile: skills, the ideas they work on, the challenges they posted."""
    return {
        "person": profile,
        "ideas": await team_queries.ideas_of_person(profile["id"], actor.id),
        "challenges": await challenge_queries.challenges_posted_by(profile["id"]),
        "stage_names": stage_names(),
        "can_set_roles": can_set_roles(actor),
        "all_roles": ALL_ROLES,
        "role_names": role_names(),
        "errors": errors or {},
    }


class PeopleController(Controller):
    path = "/people"

    @get("/", name="people")
    async def directory(
        self, request: Request[Actor, Any, Any], q: FromQuery[str] = "", page: FromQuery[int] = 1
    ) -> Template:
        results = await queries.directory_page(q, page)
        return render(
            request, "accounts/people.html.jinja2", {"results": results, "q": q}, block="results"
        )

    @get("/{person_id:int}", name="person")
    async def person(self, request: Request[Actor, Any, Any], person_id: FromPath[int]) -> Template:
        profile = await queries.person_profile(person_id)
        if profile is None:
            raise NotFoundException()
        context = await _person_context(request.user, profile)
        return render(request, "accounts/person.html.jinja2", context)


class AdminPeopleController(Controller):
    path = "/admin/people"
    guards = [requires_role(Role.ADMIN.value)]

    @get("/", name="admin_people")
    async def index(self, request: Request[Actor, Any, Any], page: FromQuery[int] = 1) -> Template:
        people = await queries.people_with_roles(page)
        return render(
            request,
            "accounts/admin_people.html.jinja2",
            {"people": people, "role_names": role_names()},
        )

    @post("/{person_id:int}/roles")
    async def set_roles(
        self, request: Request[Actor, Any, Any], person_id: FromPath[int]
    ) -> Response[Any]:
        form = await read_form(request)
        try:
            roles = await services.set_roles(request.user, person_id, form.all("roles"))
        except ValidationFailed as failed:
            profile = await queries.person_profile(person_id)
            if profile is None:
                raise NotFoundException() from failed
            context = await _person_context(request.user, profile, errors=failed.errors)
            return render(request, "accounts/person.html.jinja2", context, status_code=400)
        labels = role_names()
        saved = ", ".join(labels[role] for role in roles) or _("member")
        flash(request, _("Roles saved: %(roles)s.", roles=saved), category="success")
        return redirect_after_post(request, f"/people/{person_id}")
