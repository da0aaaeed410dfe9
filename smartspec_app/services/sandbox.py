"""The kie.ai sandbox: a kie-compatible job service served by the app itself.

Used when no KIE_AI_API_KEY is set, so the real KieProvider code path runs offline. Jobs live in
the database (they survive a restart); a job moves waiting → queuing → generating → success
over its duration, and its result is rendered locally (sandbox_render) shortly before a job with a
callback is due (so the callback, as kie.ai's, follows a finished result at once), or else the first
time it is read after that. Faults are injected on request by markers in
the prompt: see sandbox_faults.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from smartspec_app.models import SandboxJob, utcnow
from smartspec_app.services import catalog, render_process, sandbox_faults, sandbox_render

_render_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()

# Renders are the size asked for: the long side of each resolution/quality tier, the video's frame.
_ASPECTS = {"auto": (1, 1)}
_LONG_SIDE = {"1K": 1024, "2K": 2048, "4K": 4096, "basic": 2048, "high": 4096}
_VIDEO_SIZE = {"480p": (854, 480), "720p": (1280, 720), "1080p": (1920, 1080)}


@dataclass(frozen=True)
class SandboxTiming:
    image: float = 4.0
    video: float = 8.0
    speech: float = 3.0

    def for_model(self, model: str) -> float:
        return {"speech": self.speech, "video": self.video}.get(_task_type(model), self.image)


def _task_type(model: str) -> str:
    found = catalog.CATALOG.get(model)
    return found.task_type if found is not None else "image"


def _lock_for(job_id: str) -> threading.Lock:
    with _locks_guard:
        return _render_locks.setdefault(job_id, threading.Lock())


def create_job(session: Session, model: str, input: dict[str, Any], callback_url: str | None, timing: SandboxTiming) -> SandboxJob:
    faults = sandbox_faults.parse_faults(prompt_of(input))
    duration = timing.for_model(model) * (3 if "slow" in faults else 1)
    job = SandboxJob(
        id=f"sandbox_{re.sub(r'[^A-Za-z0-9-]', '-', model)}_{int(time.time() * 1000)}_{secrets.token_hex(12)}",
        model=model,
        input=input,
        callback_url=callback_url,
        fault=sandbox_faults.encode(faults),
        duration_seconds=duration,
    )
    session.add(job)
    session.flush()
    return job


def prompt_of(input: dict[str, Any]) -> str:
    return str(input.get("prompt") or input.get("text") or "")


def _image_size(input: dict[str, Any], default_ratio: str) -> tuple[int, int]:
    ratio = str(input.get("aspect_ratio") or default_ratio)
    w, h = _ASPECTS.get(ratio) or tuple(int(x) for x in ratio.split(":"))
    long_side = _LONG_SIDE.get(str(input.get("resolution") or input.get("quality") or "1K"), 1024)
    scale = long_side / max(w, h)
    return max(64, round(w * scale)), max(64, round(h * scale))


def _default(model: str, name: str, fallback: str) -> str:
    spec = catalog.CATALOG[model].param(name) if model in catalog.CATALOG else None
    return str(spec.default) if spec is not None and spec.default is not None else fallback


def job_id_of(file_name: str) -> str:
    """The job a result file belongs to ("<job id>.<ext>" or "<job id>.<n>.<ext>")."""
    return file_name.split(".", 1)[0]


def _render(job: SandboxJob, files_dir: Path) -> list[str]:
    """Render the job's outputs into files_dir as the model would make them; returns the file names."""
    files_dir.mkdir(parents=True, exist_ok=True)
    inp, kind = job.input, _task_type(job.model)
    if kind == "speech":
        voice = str(inp.get("voice") or _default(job.model, "voice", "Rachel"))
        outputs = [render_process.run(sandbox_render.render_speech, str(inp.get("text") or ""), voice, float(inp.get("speed") or 1.0))]
    elif kind == "video":
        width, height = _VIDEO_SIZE[str(inp.get("resolution") or _default(job.model, "resolution", "1080p"))]
        duration = int(str(inp.get("duration") or _default(job.model, "duration", "5")))
        outputs = [(render_process.run(sandbox_render.render_video, str(inp.get("prompt") or ""), duration, width, height), "mp4")]
    else:
        ext = {"jpg": "jpg", "jpeg": "jpg"}.get(str(inp.get("output_format") or "png"), "png")
        width, height = _image_size(inp, _default(job.model, "aspect_ratio", "1:1"))
        count = int(str(inp.get("num_images") or "1"))  # Imagen 4 Fast: several images in one task
        prompt = str(inp.get("prompt") or "")
        prompts = [prompt] + [f"{prompt} ({i + 1})" for i in range(1, count)]
        outputs = [(render_process.run(sandbox_render.render_image, text, width, height, ext), ext) for text in prompts]
    names = []
    for index, (data, ext) in enumerate(outputs):
        name = f"{job.id}.{ext}" if index == 0 else f"{job.id}.{index}.{ext}"
        tmp = files_dir / f".{name}.part"
        tmp.write_bytes(data)
        tmp.replace(files_dir / name)
        names.append(name)
    return names


def _result_names(job: SandboxJob) -> list[str]:
    """Every result file of a rendered job (the first is stored on the job)."""
    if job.result_file is None:
        return []
    first = job.result_file
    stem, ext = first.rsplit(".", 1)
    count = int(str(job.input.get("num_images") or "1")) if _task_type(job.model) == "image" else 1
    return [first] + [f"{stem}.{i}.{ext}" for i in range(1, count)]


def record_info(
    session: Session, job: SandboxJob, files_dir: Path, files_base_url: str, sign: Callable[[str], str] = lambda _name: ""
) -> dict[str, Any]:
    """The recordInfo `data` of a job, rendering its result when it is due; `sign` makes a file's URL signature."""
    elapsed = (utcnow() - job.created_at).total_seconds()
    fraction = elapsed / job.duration_seconds if job.duration_seconds > 0 else 1.0
    record: dict[str, Any] = {
        "taskId": job.id,
        "model": job.model,
        "param": "",
        "resultJson": "",
        "failCode": "",
        "failMsg": "",
        "costTime": 0,
        "createTime": int(job.created_at.timestamp() * 1000),
        "updateTime": int(time.time() * 1000),
        "completeTime": None,
    }
    faults = sandbox_faults.decode(job.fault)
    if "unknownstate" in faults:
        return record | {"state": "paused"}
    if fraction < 0.15:
        return record | {"state": "waiting"}
    if fraction < 0.3:
        return record | {"state": "queuing"}
    if fraction < 1.0:
        return record | {"state": "generating", "progress": math.floor(100 * (fraction - 0.3) / 0.7)}
    if "fail" in faults:
        return record | {"state": "fail", "failCode": "501", "failMsg": "Sandbox task failed on request ([sandbox:fail] in the prompt)"}
    if "badresult" in faults:
        return record | {"state": "success", "resultJson": "{not json"}
    _ensure_rendered(session, job, files_dir)
    if job.fail_message:
        return record | {"state": "fail", "failCode": "500", "failMsg": job.fail_message}
    return record | {
        "state": "success",
        "progress": 100,
        "costTime": int(job.duration_seconds * 1000),
        "completeTime": int(time.time() * 1000),
        "resultJson": json.dumps({"resultUrls": [f"{files_base_url.rstrip('/')}/{name}?sig={sign(name)}" for name in _result_names(job)]}),
    }


def render_ahead(session: Session, job: SandboxJob, files_dir: Path) -> None:
    """Render a job's result before it is due, as kie.ai has its result when it calls back; the
    record still says `generating` until the job's time is up. Jobs whose faults end them otherwise
    are left alone."""
    if not {"unknownstate", "fail", "badresult"} & sandbox_faults.decode(job.fault).keys():
        _ensure_rendered(session, job, files_dir)


def _ensure_rendered(session: Session, job: SandboxJob, files_dir: Path) -> None:
    if _rendered(job, files_dir):
        return
    with _lock_for(job.id):
        session.refresh(job)
        if not _rendered(job, files_dir):
            try:
                job.result_file = _render(job, files_dir)[0]
            except Exception as exc:  # a render failure is a failed task, as on the real service
                job.fail_message = f"Sandbox could not render the output: {exc}"
            session.add(job)
            session.commit()


def _rendered(job: SandboxJob, files_dir: Path) -> bool:
    names = _result_names(job)
    return bool(names) and all((files_dir / name).is_file() for name in names)
