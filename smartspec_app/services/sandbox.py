"""The kie.ai sandbox: a kie-compatible job service served by the app itself.

Used when no KIE_AI_API_KEY is set, so the real KieProvider code path runs offline. Jobs live in
the database (they survive a restart); a job moves waiting → queuing → generating → success
over its duration, and its result is rendered locally (sandbox_render) the first time it is
read after that (or when its callback is due). Faults are injected on request by markers in
the prompt: see sandbox_faults.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from smartspec_app.models import SandboxJob, utcnow
from smartspec_app.services import sandbox_faults, sandbox_render

_render_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()

_ASPECTS = {"auto": (1, 1)}
_RES_LONG_SIDE = {"1K": 1024, "2K": 1536, "4K": 2048}  # sandbox renders large tiers smaller, to stay quick
_VIDEO_SIZE = {"480p": (854, 480), "720p": (854, 480), "1080p": (1280, 720)}


@dataclass(frozen=True)
class SandboxTiming:
    image: float = 4.0
    video: float = 8.0
    speech: float = 3.0

    def for_model(self, model: str) -> float:
        if "text-to-speech" in model or model.startswith("elevenlabs"):
            return self.speech
        if "video" in model:
            return self.video
        return self.image


def _lock_for(job_id: str) -> threading.Lock:
    with _locks_guard:
        return _render_locks.setdefault(job_id, threading.Lock())


def create_job(session: Session, model: str, input: dict[str, Any], callback_url: str | None, timing: SandboxTiming) -> SandboxJob:
    faults = sandbox_faults.parse_faults(prompt_of(input))
    duration = timing.for_model(model) * (3 if "slow" in faults else 1)
    job = SandboxJob(
        id=f"sandbox_{model.replace('/', '-')}_{int(time.time() * 1000)}_{secrets.token_hex(4)}",
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


def _image_size(input: dict[str, Any]) -> tuple[int, int]:
    ratio = str(input.get("aspect_ratio") or "1:1")
    w, h = _ASPECTS.get(ratio) or tuple(int(x) for x in ratio.split(":"))
    long_side = _RES_LONG_SIDE.get(str(input.get("resolution") or "1K"), 1024)
    scale = long_side / max(w, h)
    return max(64, round(w * scale)), max(64, round(h * scale))


def _render(job: SandboxJob, files_dir: Path) -> str:
    """Render the job's output into files_dir; returns the file name."""
    files_dir.mkdir(parents=True, exist_ok=True)
    inp = job.input
    if "text-to-speech" in job.model:
        data, ext = sandbox_render.render_speech(
            str(inp.get("text") or ""), str(inp.get("voice") or "Rachel"), float(inp.get("speed") or 1.0)
        )
    elif "video" in job.model:
        width, height = _VIDEO_SIZE.get(str(inp.get("resolution") or "720p"), (854, 480))
        duration = int(str(inp.get("duration") or "5"))
        data, ext = sandbox_render.render_video(str(inp.get("prompt") or ""), duration, width, height), "mp4"
    else:
        ext = {"jpg": "jpg", "jpeg": "jpg"}.get(str(inp.get("output_format") or "png"), "png")
        width, height = _image_size(inp)
        data = sandbox_render.render_image(str(inp.get("prompt") or ""), width, height, ext)
    name = f"{job.id}.{ext}"
    tmp = files_dir / f".{name}.part"
    tmp.write_bytes(data)
    tmp.replace(files_dir / name)
    return name


def record_info(session: Session, job: SandboxJob, files_dir: Path, files_base_url: str) -> dict[str, Any]:
    """The recordInfo `data` of a job, rendering its result when it is due."""
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
    if job.result_file is None or not (files_dir / job.result_file).is_file():
        with _lock_for(job.id):
            session.refresh(job)
            if job.result_file is None or not (files_dir / job.result_file).is_file():
                try:
                    job.result_file = _render(job, files_dir)
                except Exception as exc:  # a render failure is a failed task, as on the real service
                    job.fail_message = f"Sandbox could not render the output: {exc}"
                session.add(job)
                session.commit()
    if job.fail_message:
        return record | {"state": "fail", "failCode": "500", "failMsg": job.fail_message}
    return record | {
        "state": "success",
        "progress": 100,
        "costTime": int(job.duration_seconds * 1000),
        "completeTime": int(time.time() * 1000),
        "resultJson": _json({"resultUrls": [f"{files_base_url.rstrip('/')}/{job.result_file}"]}),
    }


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
