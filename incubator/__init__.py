"""Incubator: an intrapreneurship portal where peers decide which ideas move on."""

import os

# Piccolo's command-line tools and migration runner find our engine through this.
os.environ.setdefault("PICCOLO_CONF", "incubator.piccolo_conf")

__version__ = "0.1.0"
