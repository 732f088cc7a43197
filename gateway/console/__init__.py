"""The web console (SPEC §8): pages the gateway serves at ``/``, from this package.

``pages`` holds the router (sign-in, sign-out, one route per page), ``sessions`` the
cookie session and its CSRF value, ``templates/`` the Jinja2 pages and ``static/`` the
stylesheet and the plain JavaScript modules that call the JSON API. docs/console.md says
why it is built this way.

Nothing is imported here: :mod:`gateway.deps` reads sessions, and the pages read
:mod:`gateway.deps`, so importing the router from this file would make a loop.
"""
