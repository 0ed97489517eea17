"""``python -m microgradx``: the command line."""

from .cli import main

raise SystemExit(main())
