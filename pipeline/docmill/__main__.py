"""``python -m docmill``: the command line."""

from docmill.cli import main

main()
