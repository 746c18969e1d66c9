"""Machinery every Linli app uses: scoping, audit, personal data, errors, views."""
