"""The Shipshape project a Jupyter server serves: its root, its products, paths confined to it, and the library."""
from __future__ import annotations

import importlib
from pathlib import Path, PurePosixPath


class ApiError(Exception):
    "An error the routes answer with `status` and a JSON `{'message': ...}`."

    def __init__(self, status: int, message: str, **extra):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def lib(module: str, name: str | None = None):
    "`nbs_lib.<module>` (or one of its functions); 503 with the reason when it does not exist yet."
    try:
        mod = importlib.import_module(f"nbs_lib.{module}")
    except ModuleNotFoundError as e:
        if e.name and not (e.name == "nbs_lib" or e.name.startswith("nbs_lib.")): raise
        raise ApiError(503, f"not available yet: nbs_lib.{module}" + (f".{name}" if name else "")
                       + " (the Shipshape library does not have it; update the library with `pip install -e .` at the project root)")
    if name is None: return mod
    if not hasattr(mod, name): raise ApiError(503, f"not available yet: nbs_lib.{module}.{name}")
    return getattr(mod, name)


def has(module: str, name: str | None = None) -> bool:
    "Whether `nbs_lib.<module>` (and its function `name`) exists."
    try: lib(module, name); return True
    except ApiError: return False


def project(server_root: str | Path) -> dict:
    "The project root (found from the server's root folder or `$SHIPSHAPE_ROOT`), its env and its products folder."
    find_root, load_env, products_dir = (lib("config", n) for n in ("find_root", "load_env", "products_dir"))
    try: root = find_root(server_root)
    except FileNotFoundError as e:
        raise ApiError(404, f"{e}. Start JupyterLab inside a Shipshape project or set SHIPSHAPE_ROOT.")
    env = load_env(root=root)
    return {"root": root, "env": env, "products": products_dir(env, root)}


def confine(root: str | Path, path, what: str = "path") -> Path:
    "`path` from a request, as an absolute path inside the project root; 400 for absolute paths, `..` and escapes."
    if not isinstance(path, str) or not path.strip():
        raise ApiError(400, f"{what} must be a non-empty string, a path relative to the project root")
    if "\x00" in path: raise ApiError(400, f"{what} {path!r} contains a NUL character")
    p = PurePosixPath(path.replace("\\", "/"))
    if p.is_absolute() or Path(path).is_absolute():
        raise ApiError(400, f"{what} {path!r} is absolute; give a path relative to the project root")
    if ".." in p.parts: raise ApiError(400, f"{what} {path!r} contains '..'; paths must stay inside the project root")
    root = Path(root).resolve()
    full = (root/p).resolve()
    if not full.is_relative_to(root):
        raise ApiError(400, f"{what} {path!r} leads outside the project root (through a link)")
    return full


def rel(path, base: str | Path) -> str | None:
    "`path` relative to `base` (POSIX form), or None when it lies outside."
    if not path: return None
    p, b = Path(path).resolve(), Path(base).resolve()
    return p.relative_to(b).as_posix() if p.is_relative_to(b) else None
