"""The `/shipshape/` routes: thin handlers over nbs_lib. Every verb requires Jupyter's authentication."""
from __future__ import annotations

import asyncio
import getpass
import json
import os
import subprocess
from pathlib import Path

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from . import jobs, runs
from .project import ApiError, confine, has, lib, project, rel

NO_SCORECARD = ("no readiness scorecard exists yet ({path} is missing). Make one by running the pipeline: "
                "`make run`, or the Run button in the Pipeline view.")


class Base(APIHandler):
    "JSON in, JSON out; every error is `{\"message\": ...}` with a 4xx/5xx status, never a stack trace page."

    def prepare(self):
        self._project = None
        return super().prepare()

    @property
    def proj(self) -> dict:
        if self._project is None: self._project = project(self.settings["server_root_dir"])
        return self._project

    @property
    def root(self) -> Path: return self.proj["root"]

    @property
    def products(self) -> Path: return self.proj["products"]

    def who(self) -> str:
        "The Jupyter user of the request; the OS user where Jupyter only knows a token (its \"Anonymous ...\" name is random)."
        u = self.current_user
        name = getattr(u, "name", None) or getattr(u, "username", None) or str(u)
        return getpass.getuser() if name.startswith("Anonymous ") else name

    def body(self) -> dict:
        "The request's JSON object; 400 for anything else."
        raw = self.request.body or b""
        try: data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError) as e:
            raise ApiError(400, f"malformed JSON in the request body: {e}")
        if not isinstance(data, dict): raise ApiError(400, "the request body must be a JSON object")
        return data

    def reply(self, obj, status: int = 200):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(obj, default=str))

    def confirmed(self, data: dict):
        if data.get("confirm") is not True: raise ApiError(400, "this action needs \"confirm\": true")

    async def call(self, fn, *args, **kw):
        "Run a (possibly slow) library call off the server's event loop."
        return await asyncio.to_thread(fn, *args, **kw)

    def write_error(self, status_code: int, **kwargs):
        e = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(e, ApiError): status_code, msg, extra = e.status, e.message, e.extra
        elif isinstance(e, tornado.web.HTTPError): msg, extra = e.log_message or e.reason or "error", {}
        elif e is not None: msg, extra = f"{type(e).__name__}: {e}", {}
        else: msg, extra = self._reason, {}
        self.clear()
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": msg, **extra}, default=str))

    def log_exception(self, typ, value, tb):
        if isinstance(value, ApiError): self.log.warning("shipshape %s %s: %s", value.status, self.request.path, value.message)
        else: super().log_exception(typ, value, tb)


def busy_message(job: dict) -> str:
    run = job.get("run") or {}
    if job.get("pid"):
        return (f"a pipeline run is already in progress (started from the panel at {job.get('started_at')}, process "
                f"{job['pid']}); wait for it to finish")
    return (f"a pipeline run is already in progress (run {run.get('id', '?')}, started by {run.get('trigger', '?')} at "
            f"{run.get('started_at', '?')}); wait for it to finish")


# --- project -------------------------------------------------------------------------------------------------------

class ContextHandler(Base):
    "Where the project is, relative to what JupyterLab serves, and which library parts exist."

    @tornado.web.authenticated
    def get(self):
        server_root = Path(self.settings["server_root_dir"]).expanduser().resolve()
        self.reply({"root": str(self.root), "products": str(self.products), "server_root": str(server_root),
                    "lab_root": rel(self.root, server_root), "user": self.who(),
                    "available": {"readiness": has("scorecard", "load_scorecard"), "drift": has("drift"),
                                  "monitor": has("monitor"), "registry": has("registry", "list_versions"),
                                  "export_cli": has("export", "main"), "targets": has("export", "target_availability")}})


# --- readiness -----------------------------------------------------------------------------------------------------

def _scorecard(products: Path) -> dict:
    path = products/"readiness"/"scorecard.json"
    try: load = lib("scorecard", "load_scorecard")
    except ApiError:
        raise ApiError(404, NO_SCORECARD.format(path=path) + " (nbs_lib.readiness does not exist yet either)")
    if not path.exists(): raise ApiError(404, NO_SCORECARD.format(path=path))
    try: return load(products)
    except ValueError as e: raise ApiError(500, f"the scorecard cannot be read: {e}")


class ReadinessHandler(Base):
    "The current scorecard, as `nbs_lib.readiness.load_scorecard` reads it."

    @tornado.web.authenticated
    async def get(self):
        self.reply(await self.call(_scorecard, self.products))


class AnswersHandler(Base):
    "readiness.yaml as data, with the intake questions, business-metric fields, manual items and sign-offs it asks for."

    @tornado.web.authenticated
    def get(self):
        R = lib("rubric")
        for name in ("read_readiness", "INTAKE_QUESTIONS", "BUSINESS_METRIC", "MANUAL_ITEMS", "SIGN_OFFS"): lib("rubric", name)
        self.reply({"answers": R.read_readiness(self.root), "questions": R.INTAKE_QUESTIONS,
                    "business_metric": list(R.BUSINESS_METRIC), "manual_items": R.MANUAL_ITEMS, "sign_offs": R.SIGN_OFFS,
                    "path": str(self.root/"readiness.yaml")})


def _evidence(root: Path, ev) -> list[str]:
    "Evidence paths (confined to the project root) or http(s) URLs of an attestation."
    if ev is None: return []
    if not isinstance(ev, list) or not all(isinstance(e, str) for e in ev):
        raise ApiError(400, "\"evidence\" must be a list of paths (relative to the project root) or URLs")
    return [e if e.startswith(("http://", "https://")) else rel(confine(root, e, "evidence"), root) for e in ev]


class AttestHandler(Base):
    "Record an attestation (who, when, comment) of a manual item or sign-off in readiness.yaml; refresh the scorecard."

    @tornado.web.authenticated
    async def post(self):
        data = self.body()
        item, status, comment = data.get("item"), data.get("status", "done"), data.get("comment")
        if not isinstance(item, str) or not item: raise ApiError(400, "\"item\" must name a readiness item, e.g. \"D3\"")
        if comment is not None and not isinstance(comment, str): raise ApiError(400, "\"comment\" must be a string")
        evidence = _evidence(self.root, data.get("evidence"))
        attest, refresh = lib("rubric", "attest"), lib("scorecard", "refresh")
        try: await self.call(attest, self.root, item, self.who(), comment or None, status, evidence)
        except ValueError as e: raise ApiError(400, str(e))
        self.reply(await self.call(refresh, self.root))


class IntakeHandler(Base):
    "Save the intake answers (and the business success metric) in readiness.yaml; refresh the scorecard."

    @tornado.web.authenticated
    async def post(self):
        data = self.body()
        answers, metric = data.get("answers", {}), data.get("business_metric")
        if not isinstance(answers, dict) or (metric is not None and not isinstance(metric, dict)):
            raise ApiError(400, "\"answers\" (and \"business_metric\") must be objects of field: answer")
        save, refresh = lib("rubric", "save_intake"), lib("scorecard", "refresh")
        try: await self.call(save, self.root, answers, self.who(), metric)
        except ValueError as e: raise ApiError(400, str(e))
        self.reply(await self.call(refresh, self.root))


# --- pipeline ------------------------------------------------------------------------------------------------------

class PipelineHandler(Base):
    "Tasks (up to date or outdated), run history and the live run."

    @tornado.web.authenticated
    async def get(self):
        status = lib("pipeline", "status")
        st = runs.state(self.products, self.root)
        try: tasks = await self.call(status, None, self.root)
        except Exception as e: tasks, st["status_error"] = [], f"{type(e).__name__}: {e}"
        self.reply({"tasks": tasks, **st})


class RunsHandler(Base):
    "Run history and the live run only (cheap: the panel polls it)."

    @tornado.web.authenticated
    def get(self):
        lib("pipeline", "list_runs")
        self.reply(runs.state(self.products, self.root))


class PipelineRunHandler(Base):
    "Start a pipeline build in the background; 409 while another run is live."

    @tornado.web.authenticated
    def post(self):
        data = self.body()
        env_file = confine(self.root, data["env"], "env") if data.get("env") is not None else None
        if env_file and not env_file.is_file(): raise ApiError(400, f"env override file {data['env']!r} does not exist")
        lib("pipeline", "build")
        try: job = runs.start(self.products, self.root, force=data.get("force") is True, env_file=env_file)
        except jobs.Busy as b: raise ApiError(409, busy_message(b.job), job=b.job)
        self.reply({"message": f"pipeline run {job['id']} started", "job": job}, 202)


# --- drift / monitoring --------------------------------------------------------------------------------------------

def _batches(root: Path, env: dict) -> list[str]:
    "The incoming folder (`monitoring.incoming`) and the batch files in it, relative to the project root."
    folder = root/((env.get("monitoring") or {}).get("incoming") or "data/incoming")
    if not folder.is_dir(): return []
    files = sorted(p.relative_to(root).as_posix() for p in folder.glob("*") if p.is_file() and not p.name.startswith("."))
    return [folder.relative_to(root).as_posix()] + files


class DriftHandler(Base):
    "The latest monitoring report (per-column drift with histograms), the batch files, the monitoring job."

    @tornado.web.authenticated
    def get(self):
        latest = self.products/"monitoring"/"latest.json"
        more = {"batches": _batches(self.root, self.proj["env"]), "job": jobs.active(self.products, "monitor"),
                "last_job": jobs.last(self.products, "monitor")}
        if not latest.exists():
            raise ApiError(404, f"no monitoring report exists yet ({latest} is missing). Run the monitoring job on a batch "
                                "file (the button below, or `make monitor`).", **more)
        self.reply({"report": lib("config", "read_json")(latest), "path": str(latest), **more})


class DriftRunHandler(Base):
    "Run the monitoring job in the background on one batch file (`--batch`) or a folder of batches (`--incoming`)."

    @tornado.web.authenticated
    def post(self):
        target = confine(self.root, self.body().get("batch"), "batch")
        shown = rel(target, self.root)
        if not target.exists(): raise ApiError(404, f"batch file {shown} does not exist")
        lib("monitor", "main")
        argv = [jobs.python(), "-m", "nbs_lib.monitor", "run", "--trigger", "panel"]
        argv += ["--incoming", shown] if target.is_dir() else ["--batch", shown]
        log = self.products/"jobs"/f"monitor-{jobs.now().replace(':', '')}.log"
        try: job = jobs.start(self.products, "monitor", argv, self.root, log, batch=shown)
        except jobs.Busy as b: raise ApiError(409, f"a monitoring job is already running (batch {b.job.get('batch')})", job=b.job)
        self.reply({"message": f"monitoring of {shown} started", "job": job}, 202)


# --- export and registry -------------------------------------------------------------------------------------------

def _gate(products: Path) -> dict:
    return lib("registry", "readiness_gate")(products) if has("registry", "readiness_gate") else {"decision": "unknown", "blocking": []}


class ExportHandler(Base):
    "Registered versions with aliases, export targets available here, the latest export report, the readiness gate."

    @tornado.web.authenticated
    async def get(self):
        out, missing = {}, []
        for key, mod, fn, args in [("registry", "registry", "list_versions", (self.root,)),
                                   ("availability", "export", "target_availability", ())]:
            try: out[key] = await self.call(lib(mod, fn), *args)
            except ApiError as e: out[key] = None; missing.append(e.message)
        report = self.products/"06_export"/"export.json"
        out["export"] = lib("config", "read_json")(report) if report.exists() else None
        out |= {"export_path": str(report), "gate": _gate(self.products), "missing": missing,
                "job": jobs.active(self.products, "export"), "last_job": jobs.last(self.products, "export")}
        self.reply(out)


class ExportRunHandler(Base):
    "Export one target (onnx-fp32, onnx-int8, tensorrt-fp16) of a registered version, in the background."

    @tornado.web.authenticated
    async def post(self):
        data = self.body()
        target, version = data.get("target"), data.get("version")
        avail = await self.call(lib("export", "target_availability"))
        if target not in avail: raise ApiError(400, f"unknown export target {target!r}; one of {sorted(avail)}")
        if not avail[target]["available"]: raise ApiError(409, f"{target} cannot run here: {avail[target]['reason']}")
        if version is not None and (not isinstance(version, str) or not version.replace("-", "").isalnum()):
            raise ApiError(400, f"version must be a registered version name like \"v0001\", not {version!r}")
        lib("export", "main")
        argv = [jobs.python(), "-m", "nbs_lib.export", "--target", target] + (["--version", version] if version else [])
        log = self.products/"jobs"/f"export-{jobs.now().replace(':', '')}.log"
        try: job = jobs.start(self.products, "export", argv, self.root, log, target=target, version=version)
        except jobs.Busy as b: raise ApiError(409, f"an export is already running ({b.job.get('target')})", job=b.job)
        self.reply({"message": f"export to {target} started", "job": job}, 202)


class PromoteHandler(Base):
    "Promote a version to production: the readiness gate and the canary must allow it, or an override reason is given."

    @tornado.web.authenticated
    async def post(self):
        data = self.body(); self.confirmed(data)
        version, reason = data.get("version"), (data.get("override_reason") or "").strip()
        if not isinstance(version, str) or not version.replace("-", "").isalnum():
            raise ApiError(400, "\"version\" must name a registered version, e.g. \"v0002\"")
        lib("registry", "promote")
        gate = _gate(self.products)
        if gate["decision"] == "no-go" and not reason:
            raise ApiError(409, "promotion refused: the readiness gate says no-go. Fix the blocking items, or type an "
                                "override reason (it is recorded with who and when).", gate=gate)
        argv = [jobs.python(), "-m", "nbs_lib.registry", "promote", version, "--who", self.who()]
        argv += ["--override-reason", reason] if reason else []
        r = await self.call(subprocess.run, argv, cwd=self.root, capture_output=True, text=True, timeout=300,
                            env=os.environ | jobs.JOB_ENV)
        if r.returncode != 0:
            msg = (r.stderr.strip().splitlines() or ["promotion failed"])[-1].removeprefix("error: ")
            raise ApiError(409 if "refused" in msg else 400, msg, gate=gate)
        await self._refresh()
        self.reply({"message": r.stdout.strip(), "registry": lib("registry", "list_versions")(self.root)})

    async def _refresh(self):
        if has("scorecard", "refresh"): await self.call(lib("scorecard", "refresh"), self.root)


class RollbackHandler(PromoteHandler):
    "Move production back to the version it replaced."

    @tornado.web.authenticated
    async def post(self):
        data = self.body(); self.confirmed(data)
        reason = data.get("reason") or "rolled back from the Shipshape panel"
        if not isinstance(reason, str): raise ApiError(400, "\"reason\" must be a string")
        rollback = lib("registry", "rollback")
        try: rec = await self.call(rollback, self.who(), reason, root=self.root)
        except ValueError as e: raise ApiError(409, str(e))
        await self._refresh()
        self.reply({"message": f"production: {rec['previous']} → {rec['version']} (rolled back)", "record": rec,
                    "registry": lib("registry", "list_versions")(self.root)})


class NotFoundHandler(Base):
    "Any other path under /shipshape/."

    @tornado.web.authenticated
    def get(self, path): raise ApiError(404, f"no such Shipshape route: /shipshape/{path}")

    @tornado.web.authenticated
    def post(self, path): raise ApiError(404, f"no such Shipshape route: /shipshape/{path}")


ROUTES = [("context", ContextHandler), ("readiness", ReadinessHandler), ("readiness/answers", AnswersHandler), ("readiness/attest", AttestHandler),
          ("readiness/intake", IntakeHandler), ("pipeline", PipelineHandler), ("pipeline/runs", RunsHandler),
          ("pipeline/run", PipelineRunHandler), ("drift", DriftHandler), ("drift/run", DriftRunHandler),
          ("export", ExportHandler), ("export/run", ExportRunHandler), ("registry/promote", PromoteHandler),
          ("registry/rollback", RollbackHandler)]


def setup_route_handlers(web_app):
    "Register every route under `<base_url>/shipshape/`."
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(".*$", [(url_path_join(base_url, "shipshape", path), h) for path, h in ROUTES]
                         + [(url_path_join(base_url, "shipshape", "(.*)"), NotFoundHandler)])
