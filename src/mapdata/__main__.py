"""``python -m mapdata`` runs the command line."""

from .cli import run

run()
