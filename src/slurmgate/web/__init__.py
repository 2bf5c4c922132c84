"""The web page for people: plain HTML, CSS and JavaScript modules served by the gateway.

The page itself needs no token (it holds none until one is pasted into it); everything it shows
comes from the API, called by the browser with the token in a header. See docs/web.md.
"""

from slurmgate.web.pages import WebAssets, web_routes

__all__ = ["WebAssets", "web_routes"]
