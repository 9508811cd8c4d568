"""The `/shipshape/` routes: HTTP translations of `nbs_lib.app`, one application function per route.

A route reads its request, calls its function (off the event loop when it reads or writes files), and answers with
what it returns. A typed refusal of the application layer (`app.AppError`) is answered with its status and message;
anything else is a bug: 500, with its traceback in the server log. Every verb requires Jupyter's authentication.
"""

from __future__ import annotations

import asyncio
import getpass
import json

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from nbs_lib import app


class Base(APIHandler):
    'JSON in, JSON out; every error is `{"message": ...}` with a 4xx/5xx status, never a stack trace page.'

    async def prepare(self):
        await super().prepare()  # authentication first: an anonymous request is refused whatever its size
        n = len(self.request.body or b"")
        if n > app.MAX_BODY:
            raise app.TooLarge(
                f"the request body is {n} bytes; the limit is {app.MAX_BODY} bytes (256 KB)", limit=app.MAX_BODY
            )

    @property
    def server_root(self) -> str:
        return self.settings["server_root_dir"]

    def who(self) -> str:
        'The Jupyter user of the request; the OS user where Jupyter only knows a token (its "Anonymous ..." name is random).'
        u = self.current_user
        name = getattr(u, "name", None) or getattr(u, "username", None) or str(u)
        return getpass.getuser() if name.startswith("Anonymous ") else name

    def body(self) -> dict:
        return app.read_body(self.request.body)

    async def answer(self, fn, *args, status: int = 200):
        "Call `fn(*args)` in a worker thread and answer with its result."
        self.reply(await asyncio.to_thread(fn, *args), status)

    def reply(self, obj, status: int = 200):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(obj, default=str))

    def write_error(self, status_code: int, **kwargs):
        e = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(e, app.AppError):
            status_code, msg, extra = e.status, e.message, e.extra
        elif isinstance(e, tornado.web.HTTPError):
            msg, extra = e.log_message or e.reason or self._reason, {}
        elif e is not None:
            msg, extra = f"internal error (a bug: the server log has its traceback): {type(e).__name__}: {e}", {}
        else:
            msg, extra = self._reason, {}
        self.clear()
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": msg, **extra}, default=str))

    def log_exception(self, typ, value, tb):
        if isinstance(value, app.AppError):  # a refusal, not a bug: one line, no traceback
            self.log.warning("shipshape %s %s: %s", value.status, self.request.path, value.message)
        else:
            super().log_exception(typ, value, tb)


class ContextHandler(Base):
    @tornado.web.authenticated
    async def get(self):
        await self.answer(app.context, self.server_root, self.who())


class ReadinessHandler(Base):
    @tornado.web.authenticated
    async def get(self):
        await self.answer(app.readiness, self.server_root)


class AnswersHandler(Base):
    @tornado.web.authenticated
    async def get(self):
        await self.answer(app.answers, self.server_root)


class AttestHandler(Base):
    @tornado.web.authenticated
    async def post(self):
        await self.answer(app.attest, self.server_root, self.body(), self.who())


class IntakeHandler(Base):
    @tornado.web.authenticated
    async def post(self):
        await self.answer(app.intake, self.server_root, self.body(), self.who())


class PipelineHandler(Base):
    @tornado.web.authenticated
    async def get(self):
        await self.answer(app.pipeline_state, self.server_root)


class RunsHandler(Base):
    @tornado.web.authenticated
    async def get(self):
        await self.answer(app.pipeline_runs, self.server_root)


class PipelineRunHandler(Base):
    @tornado.web.authenticated
    async def post(self):
        await self.answer(app.start_pipeline, self.server_root, self.body(), status=202)


class PipelineCancelHandler(Base):
    @tornado.web.authenticated
    async def post(self):
        await self.answer(app.cancel_pipeline, self.server_root, self.body(), self.who())


class DriftHandler(Base):
    @tornado.web.authenticated
    async def get(self):
        await self.answer(app.drift_state, self.server_root)


class DriftRunHandler(Base):
    @tornado.web.authenticated
    async def post(self):
        await self.answer(app.start_monitoring, self.server_root, self.body(), status=202)


class ExportHandler(Base):
    @tornado.web.authenticated
    async def get(self):
        await self.answer(app.export_state, self.server_root)


class ExportRunHandler(Base):
    @tornado.web.authenticated
    async def post(self):
        await self.answer(app.start_export, self.server_root, self.body(), status=202)


class PromoteHandler(Base):
    @tornado.web.authenticated
    async def post(self):
        await self.answer(app.promote, self.server_root, self.body(), self.who())


class RollbackHandler(Base):
    @tornado.web.authenticated
    async def post(self):
        await self.answer(app.rollback, self.server_root, self.body(), self.who())


class VersionHandler(Base):
    @tornado.web.authenticated
    async def get(self):
        await self.answer(app.version_page, self.server_root, self.get_query_argument("version", None))


class NotFoundHandler(Base):
    "Any other path under /shipshape/."

    @tornado.web.authenticated
    def get(self, path):
        raise app.NotFound(f"no such Shipshape route: /shipshape/{path}")

    @tornado.web.authenticated
    def post(self, path):
        raise app.NotFound(f"no such Shipshape route: /shipshape/{path}")


ROUTES = [
    ("context", ContextHandler),
    ("readiness", ReadinessHandler),
    ("readiness/answers", AnswersHandler),
    ("readiness/attest", AttestHandler),
    ("readiness/intake", IntakeHandler),
    ("pipeline", PipelineHandler),
    ("pipeline/runs", RunsHandler),
    ("pipeline/run", PipelineRunHandler),
    ("pipeline/cancel", PipelineCancelHandler),
    ("drift", DriftHandler),
    ("drift/run", DriftRunHandler),
    ("export", ExportHandler),
    ("export/run", ExportRunHandler),
    ("registry/promote", PromoteHandler),
    ("registry/rollback", RollbackHandler),
    ("registry/version", VersionHandler),
]


def setup_route_handlers(web_app):
    "Register every route under `<base_url>/shipshape/`."
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [(url_path_join(base_url, "shipshape", path), h) for path, h in ROUTES]
        + [(url_path_join(base_url, "shipshape", "(.*)"), NotFoundHandler)],
    )
