"""Settings for B3 only: the product as configured, with bench/b3_urls.py adding one bare
Django view (the floor the real intake is measured beside). Never deployed."""

from linli.settings import *  # noqa: F403

ROOT_URLCONF = "b3_urls"
