"""The web application for cadres (``bantin serve``)."""

from bantin.web.app import create_app

__all__ = ["create_app"]
