"""The Gradio web chat. Imported before Gradio: it must not phone home (analytics, version checks,
the Hugging Face hub); nothing here reaches the internet, and a user's questions never leave the machine."""

import os

for _var, _value in (("GRADIO_ANALYTICS_ENABLED", "False"), ("HF_HUB_OFFLINE", "1"),
                     ("HF_HUB_DISABLE_TELEMETRY", "1"), ("DO_NOT_TRACK", "1")):
    os.environ.setdefault(_var, _value)
