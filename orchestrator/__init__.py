"""orchestrate: render, plan, build, publish and report multi-architecture Python images."""

from __future__ import annotations

__version__ = "0.1.0"
