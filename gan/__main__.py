"""`python -m gan`: the same as the `gan` command."""

from gan.cli import main

main()
