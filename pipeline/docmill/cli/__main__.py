"""``python -m docmill.cli``: the command line."""

from docmill.cli import main

main()
