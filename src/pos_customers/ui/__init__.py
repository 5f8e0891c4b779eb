"""The associate's terminal app (Textual).

Textual draws at most ``TEXTUAL_FPS`` frames a second and a change waits for the next frame:
at its default of 60 a search result reaches the screen up to 17 ms after it is ready. At 120
it is half that; Textual draws only what changed, so an idle terminal or an SSH link carries
no more than before. ``TEXTUAL_FPS`` in the environment still decides. This must run before
Textual is imported, hence here. Over SSH the app starts with 30 instead (:func:`.config.for_session`,
applied by the launcher before it imports Textual).
"""

import os

FPS_FROM_ENVIRONMENT = "TEXTUAL_FPS" in os.environ  # the person's own choice: it wins
os.environ.setdefault("TEXTUAL_FPS", "120")
