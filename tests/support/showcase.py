"""A small gallery of real media for page audits: a few images, videos and speech items by one author.

Runs inside the app's environment (`LiveApp.run_python`), so it writes to the app's database and
storage: `python -c "from tests.support.showcase import seed; seed()"` prints the slugs as JSON.
The media are honest sandbox renders (1024×1024 PNGs, short H.264 clips, espeak speech), the size
and kind of files the real models return, made into thumbnails and shared the way users share.
"""

from __future__ import annotations

import json

AUTHOR = "showcase"
IMAGES = (
    ("A lighthouse at dawn", "art", "A lighthouse on a cliff at dawn, warm light over a calm sea, oil painting"),
    ("Neon city in the rain", "sci-fi", "A neon-lit city street in the rain at night, reflections on wet asphalt"),
    ("Forest spirits", "fantasy", "Glowing spirits among ancient trees in a misty forest, soft volumetric light"),
    ("Mountain lake", "nature", "A still mountain lake at sunset with pine trees and snowy peaks"),
)
VIDEOS = (
    ("Waves on the shore", "animation", "Slow waves rolling onto a sandy shore, golden hour"),
    ("Clouds over hills", "nature", "Time-lapse of clouds drifting over green hills"),
)
SPEECH = (
    ("Welcome message", "voice", "Welcome to SmartSpec Pro, where images, videos and speech come to life."),
    ("A short poem", "voice", "The sea at dawn is silver and the gulls are calling out the morning."),
)


def seed(image_side: int = 1024) -> dict[str, list[str]]:
    """Create the author and share every showcase item; returns {media_type: [slug, ...]} (also printed)."""
    from smartspec_app.models import GenerationTask, TaskStatus, new_id, utcnow
    from smartspec_app.services import auth, gallery
    from smartspec_app.services.db import session_scope
    from smartspec_app.services.sandbox_render import render_image, render_speech, render_video
    from smartspec_app.services.storage import generation_key, get_storage, thumbnail_key
    from smartspec_app.services.thumbnails import make_thumbnail

    storage = get_storage()
    slugs: dict[str, list[str]] = {"image": [], "video": [], "audio": []}

    def share(session, user, task_type: str, data: bytes, ext: str, title: str, category: str, prompt: str) -> None:
        task_id = new_id()
        key = generation_key(task_type, user.id, task_id, ext)
        storage.save_bytes(key, data)
        thumb = thumbnail_key(task_id)
        storage.save_bytes(thumb, make_thumbnail(task_type, data), "image/jpeg")  # type: ignore[arg-type]
        task = GenerationTask(
            id=task_id,
            user_id=user.id,
            task_type=task_type,
            model_id={"image": "nano-banana-pro", "video": "wan/2-6-text-to-video", "speech": "elevenlabs/text-to-speech-turbo-2-5"}[
                task_type
            ],
            prompt=prompt,
            status=TaskStatus.COMPLETED,
            progress=100,
            output_keys=[key],
            output_urls=[storage.url(key)],
            output_url=storage.url(key),
            thumbnail_url=storage.url(thumb),
            provider="sandbox",
            completed_at=utcnow(),
        )
        session.add(task)
        session.flush()
        item = gallery.share_to_gallery(
            session, storage, user, task.id, title, description=prompt, category=category, tags=[category, "showcase"], auto_approve=True
        )
        if item.moderation_status != gallery.APPROVED:  # the NSFW check may hold an unscanned item; these are landscapes
            item.moderation_status = gallery.APPROVED
            session.add(item)
        session.flush()
        slugs[gallery.MEDIA_FOR_TASK[task_type]].append(item.slug)

    with session_scope() as session:
        user = auth.create_user(session, f"{AUTHOR}@example.com", "a long showcase password", username=AUTHOR)
        session.flush()
        for title, category, prompt in IMAGES:
            share(session, user, "image", render_image(prompt, image_side, image_side), "png", title, category, prompt)
        for title, category, prompt in VIDEOS:
            share(session, user, "video", render_video(prompt, 3, 640, 360), "mp4", title, category, prompt)
        for title, category, prompt in SPEECH:
            data, ext = render_speech(prompt)
            share(session, user, "speech", data, ext, title, category, prompt)
    print(json.dumps(slugs))
    return slugs
